"""Password rules (length and a zxcvbn strength estimate, explained in Chinese) and bcrypt."""

from __future__ import annotations

import re
import threading

import bcrypt
from pypinyin import lazy_pinyin
from zxcvbn import zxcvbn

from yibiaotong import config

MIN_BYTES, MAX_BYTES = 8, 64  # bcrypt reads 72 bytes at most; 64 leaves a margin
MIN_SCORE = 3  # zxcvbn's "safely unguessable": at least 10^8 guesses
ROUNDS = 12
# Words anyone attacking this install would try first, besides the user's own names.
DEPLOYMENT_WORDS = (
    "yibiaotong",
    "yibiao",
    "ybt",
    "admin",
    "demo",
    "mima",
    "shangcheng",
    "hangzhou",
    "zhejiang",
)
# bcrypt is meant to be slow (a quarter second of one core). A burst of logins would share the
# cores and all finish late, starving page runs too; first come, first served on all but one core
# lets the first logins finish first and leaves a core to the pages.
_BCRYPT_SLOTS = threading.BoundedSemaphore(config.bcrypt_slots())
RULES = "8–64 字节；不能是常见密码、键盘排列、年份日期，也不能含用户名或姓名。"
# The hash of a random string nobody knows, at ROUNDS: checking an unknown username against it
# costs what a real check costs, from the very first attempt on.
_DUMMY_HASH = b"$2b$12$cV4ZFjDp7m.vYmgg56lG8.FUuVdEqYknBqM2qNVZvuwM1X1kW3bW6"


def _names(username: str, name: str) -> list[str]:
    """What a guesser knows about the user: the username, the name, its pinyin and initials."""
    words = [username, name, *DEPLOYMENT_WORDS]
    syllables = lazy_pinyin(name) if name else []
    if syllables:
        words += ["".join(syllables), "".join(s[0] for s in syllables), *syllables]
    return [w.lower() for w in words if w]


def _spells_own_name(password: str, username: str, name: str) -> bool:
    """The username or the whole name (in characters or pinyin) hidden among digits and marks,
    as in Zhang-Wei-88: zxcvbn scores the pieces, but anyone who knows the user tries this."""
    letters = re.sub(r"[^a-z]", "", password.lower())
    words = [username, "".join(lazy_pinyin(name)) if name else ""]
    spelled = (re.sub(r"[^a-z]", "", w.lower()) for w in words)
    return bool(name and name in password) or any(len(w) >= 3 and w in letters for w in spelled)


def _reason(match: dict) -> str | None:
    token = match["token"]
    pattern = match["pattern"]
    if pattern == "dictionary":
        if match.get("dictionary_name") == "user_inputs":
            return f"含有用户名、姓名或系统名称（“{token}”）"
        if match.get("dictionary_name") == "passwords":
            return f"含有常见密码（“{token}”）"
        return f"含有常见单词或人名（“{token}”）"
    return {
        "spatial": f"含有键盘上相邻的按键（“{token}”）",
        "repeat": f"含有重复的字符（“{token}”）",
        "sequence": f"含有连续的字符（“{token}”）",
        "regex": f"含有年份（“{token}”）",
        "date": f"含有日期（“{token}”）",
    }.get(pattern)


def weakness(password: str, username: str = "", name: str = "") -> str | None:
    """Why this password may not be used, in Chinese; None when it is acceptable."""
    size = len(password.encode("utf-8"))
    if size < MIN_BYTES or size > MAX_BYTES:
        return f"密码长度须为 {MIN_BYTES}–{MAX_BYTES} 字节（一个汉字占 3 字节）。"
    if password != password.strip():
        return "密码首尾不能是空格。"
    if _spells_own_name(password, username, name):
        return "密码太容易被猜到：含有您的用户名或姓名。请换一个与您本人无关的密码。"
    result = zxcvbn(password, user_inputs=_names(username, name))
    if result["score"] >= MIN_SCORE:
        return None
    reasons = list(dict.fromkeys(r for m in result["sequence"] if (r := _reason(m))))
    if any(m.get("l33t") for m in result["sequence"]):
        reasons.append("用 @、0 等符号替换字母并不能让常见词变得难猜")
    why = "；".join(reasons) if reasons else "太短或太简单，容易被逐一试出"
    return (
        f"密码太容易被猜到：{why}。请换一个更长的密码，例如由几个不相关的词和数字组成、12 位以上。"
    )


def hash_password(password: str) -> str:
    with _BCRYPT_SLOTS:
        return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(ROUNDS)).decode()


def verify(password: str, password_hash: str | None) -> bool:
    """bcrypt check; without a hash (unknown user) it checks a dummy one to take as long."""
    data = (password or "").encode("utf-8")
    if len(data) > 72:  # bcrypt 5 raises instead of truncating
        data = data[:72]
        password_hash = None
    with _BCRYPT_SLOTS:
        if password_hash is None:
            bcrypt.checkpw(data, _DUMMY_HASH)
            return False
        return bcrypt.checkpw(data, password_hash.encode())
