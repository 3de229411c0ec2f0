"""The font stack of official documents (GB/T 9704-2012).

Each face the layout rules name is a CSS font-family list: the official fonts
first (installations usually have them), then the free fonts the setup
installs (`scripts/sysdeps.sh run`: Noto CJK, AR PL UKai, WenQuanYi, Hanazono
for rare characters in CJK Extension B and beyond). WeasyPrint (Pango and
fontconfig) takes the first family present and falls back glyph by glyph
along the list, so a name with 䶮 or 𠮷 never prints as tofu. How to install
the official fonts: docs/documents.md.
"""
from __future__ import annotations

import functools
import shutil
import subprocess

# Rare characters (Extension B-G) that the faces above may lack.
RARE = ["HanaMinA", "HanaMinB"]

STACKS: dict[str, list[str]] = {
    # 2号小标宋: titles; the issuer's name in red.
    "title": ["FZXiaoBiaoSong-B05S", "方正小标宋简体", "FZXiaoBiaoSong-B05", "方正小标宋_GBK", "STZhongsong", "华文中宋",
              "Noto Serif CJK SC", "AR PL UMing CN", *RARE],
    # 3号仿宋: the body.
    "fangsong": ["FangSong_GB2312", "仿宋_GB2312", "FangSong", "仿宋", "STFangsong", "华文仿宋",
                 "Noto Serif CJK SC", "AR PL UMing CN", *RARE],
    # 黑体: first-level headings (一、).
    "hei": ["SimHei", "黑体", "STHeiti", "Noto Sans CJK SC", "WenQuanYi Zen Hei", *RARE],
    # 楷体: second-level headings (（一）).
    "kai": ["KaiTi_GB2312", "楷体_GB2312", "KaiTi", "楷体", "STKaiti", "华文楷体", "AR PL UKai CN", "Noto Serif CJK SC", *RARE],
    # 宋体: page numbers, tables of the records.
    "song": ["SimSun", "宋体", "NSimSun", "STSong", "Noto Serif CJK SC", "AR PL UMing CN", *RARE],
}
# The free fallbacks are regular faces: the title asks for bold (a bold Song
# stands in for XiaoBiaoSong, which is bold by design).
OFFICIAL = {
    "title": {"FZXiaoBiaoSong-B05S", "方正小标宋简体", "FZXiaoBiaoSong-B05", "方正小标宋_GBK"},
    "fangsong": {"FangSong_GB2312", "仿宋_GB2312", "FangSong", "仿宋"},
    "hei": {"SimHei", "黑体"},
    "kai": {"KaiTi_GB2312", "楷体_GB2312", "KaiTi", "楷体"},
    "song": {"SimSun", "宋体", "NSimSun"},
}


def css_family(face: str) -> str:
    return ", ".join(f'"{name}"' for name in STACKS[face]) + ", serif"


def css_families() -> dict[str, str]:
    """{face: CSS font-family value}, for the document templates."""
    return {face: css_family(face) for face in STACKS}


@functools.lru_cache(maxsize=1)
def installed_families() -> frozenset[str]:
    """Font families fontconfig knows (every localized name), read once per process."""
    if not shutil.which("fc-list"):
        return frozenset()
    out = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, check=False).stdout
    return frozenset(name.strip() for line in out.splitlines() for name in line.split(","))


def resolved(face: str) -> str | None:
    """The family of `face` that documents use on this machine (the first installed), or None."""
    have = installed_families()
    return next((name for name in STACKS[face] if name in have), None)


def report() -> dict[str, dict]:
    """For operators: which family each face uses here, and whether it is the official one."""
    return {face: {"family": resolved(face), "official": resolved(face) in OFFICIAL[face]} for face in STACKS}
