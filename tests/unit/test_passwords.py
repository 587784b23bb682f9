"""Password rules: common and guessable passwords are refused with a reason a clerk can read."""

from __future__ import annotations

import os
import subprocess
import sys

import bcrypt
import pytest

from yibiaotong import passwords

# Passwords seen on real office PCs and in leaked lists, and the demo password's pattern.
WEAK = [
    ("12345678a", "常见密码"),
    ("password1", "常见密码"),
    ("admin123", "常见密码"),
    ("P@ssw0rd", "符号替换字母"),
    ("Demo@2026", "用户名、姓名或系统名称"),
    ("Admin@2026", "用户名、姓名或系统名称"),
    ("qwertyuiop", "常见密码"),
    ("1qaz@WSX", "常见密码"),
    ("woaini1314", "常见密码"),
    ("aaaaaaaa1", "重复"),
    ("19880512wj", "日期"),
]


@pytest.mark.parametrize(("password", "reason"), WEAK)
def test_common_and_patterned_passwords_are_refused_with_the_reason(password, reason):
    why = passwords.weakness(password, "wangshuju", "王数据")
    assert why is not None
    assert reason in why
    assert why.startswith("密码太容易被猜到")


def test_the_users_own_names_are_refused():
    # The username, the name in pinyin and its initials: what a colleague would try first.
    assert "用户名" in passwords.weakness("zhangwei2024!", "zhangwei", "张伟")
    assert "用户名" in passwords.weakness("Zhang-Wei-88", "sw_01", "张伟")
    assert "姓名" in passwords.weakness("张伟Qx-2024-88", "sw_01", "张伟")
    assert passwords.weakness("zw@123456", "sw_01", "张伟") is not None
    # The same password is fine for someone it says nothing about.
    assert passwords.weakness("Zhang-Wei-88x7", "sw_01", "李娜") is None


@pytest.mark.parametrize(
    "password",
    ["Qiantang-River-9", "xihu#longjing88", "Wq#73kd9Lm", "鹅卵石小路-37-晴天", "tianxian@2026"],
)
def test_long_unrelated_passwords_are_accepted(password):
    assert passwords.weakness(password, "sw_tianxian", "毛社工") is None


def test_length_is_counted_in_bytes_within_bcrypts_limit():
    assert "8–64 字节" in passwords.weakness("Qx7#k", "u", "")
    assert "8–64 字节" in passwords.weakness("汉" * 22, "u", "")  # 66 bytes
    assert "首尾" in passwords.weakness(" Qiantang-River-9", "u", "")


def test_hash_and_verify_roundtrip_and_unknown_user_costs_a_check(monkeypatch):
    stored = passwords.hash_password("Qiantang-River-9")
    assert stored.startswith(f"$2b${passwords.ROUNDS}$")
    assert passwords.verify("Qiantang-River-9", stored)
    assert not passwords.verify("Qiantang-River-8", stored)
    checked = []
    real = bcrypt.checkpw
    monkeypatch.setattr(bcrypt, "checkpw", lambda p, h: checked.append(h) or real(p, h))
    assert not passwords.verify("anything", None)
    # …against a hash of the same cost as real ones
    assert len(checked) == 1 and checked[0].startswith(f"$2b${passwords.ROUNDS}$".encode())
    assert not passwords.verify("长" * 30, stored)  # > 72 bytes: refused, never raises


def test_the_number_of_simultaneous_password_checks_follows_the_machine_or_the_setting():
    # A login burst waits for bcrypt in these slots: all cores but one by default, or what an
    # operator sets for a bigger machine (YIBIAOTONG_BCRYPT_SLOTS; see docs/SCALING.md).
    code = "import os; from yibiaotong import passwords; print(passwords._BCRYPT_SLOTS._value)"
    env = {k: v for k, v in os.environ.items() if k != "YIBIAOTONG_BCRYPT_SLOTS"}
    default = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert int(default.stdout) == max(1, (os.cpu_count() or 2) - 1)
    env["YIBIAOTONG_BCRYPT_SLOTS"] = "3"
    chosen = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert int(chosen.stdout) == 3
    env["YIBIAOTONG_BCRYPT_SLOTS"] = "0"  # no slot would let nobody log in
    at_least_one = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert int(at_least_one.stdout) == 1
