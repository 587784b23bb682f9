"""A pile of forms as uploaded: zip members read safely, every refusal with a Chinese reason."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import pytest

from yibiaotong.excel import form_zip
from yibiaotong.excel.upload import UploadError

sys.path.insert(0, str(Path(__file__).parent))
import admission_forms as af  # noqa: E402

FORM = af.build(af.FORMS[0])


def plain_zip(members: list[tuple[str, bytes]], **info) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zi = zipfile.ZipInfo(name)
            for key, value in info.items():
                setattr(zi, key, value)
            zf.writestr(zi, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def test_gbk_names_written_by_chinese_windows_are_read_as_chinese():
    data = af.zipped(
        [("民政/高龄津贴发放花名册.xlsx", FORM), ("卫健/育龄妇女.xlsx", FORM)], gbk_names=True
    )
    raw = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "民政/高龄津贴发放花名册.xlsx" not in raw  # zipfile alone garbles them (cp437)
    members, skipped = form_zip.read_zip(data)
    assert [m.name for m in members] == ["民政/高龄津贴发放花名册.xlsx", "卫健/育龄妇女.xlsx"]
    assert skipped == [] and members[0].data == FORM


def test_utf8_names_without_the_flag_are_read_too():
    data = plain_zip([("街道/表一.xlsx", FORM)])
    info = zipfile.ZipFile(io.BytesIO(data)).infolist()[0]
    info.flag_bits &= ~0x800
    assert form_zip.member_name(info) == "街道/表一.xlsx"


def test_nested_folders_are_kept_in_names_and_nested_zips_are_not_opened():
    inner = plain_zip([("x.xlsx", FORM)])
    data = plain_zip(
        [("2024/民政/养老/表.xlsx", FORM), ("2024/inner.zip", inner), ("2024/民政/", b"")]
    )
    members, skipped = form_zip.read_zip(data)
    assert [m.name for m in members] == ["2024/民政/养老/表.xlsx"]
    assert [(s.name, "压缩包" in s.reason) for s in skipped] == [("2024/inner.zip", True)]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../../etc/evil.xlsx", "路径不安全"),
        ("/abs/evil.xlsx", "路径不安全"),
        ("C:/Windows/evil.xlsx", "路径不安全"),
        ("旧表.xls", "旧版 .xls"),
        ("宏.xlsm", "含宏"),
        ("数据.csv", "不是表样"),
        ("说明.docx", "不是 Excel"),
        ("~$临时.xlsx", "临时文件"),
        ("__MACOSX/._表.xlsx", "临时文件"),
        ("Thumbs.db", "临时文件"),
    ],
)
def test_members_that_are_not_forms_are_skipped_with_a_reason(name, reason):
    members, skipped = form_zip.read_zip(plain_zip([(name, FORM), ("好表.xlsx", FORM)]))
    assert [m.name for m in members] == ["好表.xlsx"]
    assert len(skipped) == 1 and reason in skipped[0].reason


def test_encrypted_member_is_skipped():
    data = af.zipped([("加密.xlsx", FORM), ("公开.xlsx", FORM)], encrypt=("加密.xlsx",))
    members, skipped = form_zip.read_zip(data)
    assert [m.name for m in members] == ["公开.xlsx"]
    assert skipped[0].name == "加密.xlsx" and "加密" in skipped[0].reason


@pytest.mark.parametrize(("megabytes", "reason"), [(20, "不能超过 10 MB"), (5, "疑似压缩炸弹")])
def test_zip_bomb_member_is_skipped_without_reading_it(megabytes, reason):
    bomb = b"\0" * (megabytes * 1024 * 1024)  # zeros deflate about 1000:1
    members, skipped = form_zip.read_zip(plain_zip([("炸弹.xlsx", bomb), ("表.xlsx", FORM)]))
    assert [m.name for m in members] == ["表.xlsx"]
    assert reason in skipped[0].reason


def test_member_lying_about_its_size_is_skipped():
    data = bytearray(plain_zip([("表.xlsx", FORM)]))
    zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = zf.infolist()[0]
    # Rewrite the declared size in the central directory: 100 bytes instead of the real size.
    central = bytes(data).rindex(b"PK\x01\x02")
    data[central + 24 : central + 28] = (100).to_bytes(4, "little")
    members, skipped = form_zip.read_zip(bytes(data))
    assert members == [] and skipped and skipped[0].name == info.filename


def test_whole_pile_refusals():
    with pytest.raises(UploadError, match="不是有效的 .zip"):
        form_zip.read_zip(b"PK not really a zip")
    with pytest.raises(UploadError, match="没有可读取"):
        form_zip.gather([("a.docx", b"x"), ("b.xls", b"y")])
    many = [(f"表{i}.xlsx", FORM) for i in range(form_zip.MAX_FORMS + 1)]
    with pytest.raises(UploadError, match="上限 1,000"):
        form_zip.gather(many)


def test_gather_mixes_files_and_a_zip():
    data = af.zipped([("民政/甲.xlsx", FORM)], gbk_names=True)
    members, skipped = form_zip.gather([("乙.xlsx", FORM), ("街道.zip", data), ("丙.pdf", b"%PDF")])
    assert [m.name for m in members] == ["乙.xlsx", "街道/民政/甲.xlsx"]
    assert [s.name for s in skipped] == ["丙.pdf"]
