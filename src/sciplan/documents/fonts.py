# ruff: noqa: S603 -- runs fc-match (fontconfig) with fixed arguments to locate the system's CJK fonts
"""The CJK fonts of SciPlan's PDFs, cut once to the characters Chinese documents use.

Noto Serif CJK SC and Noto Sans CJK SC (fonts-noto-cjk) come as 20–26 MB collections of 65,535 glyphs.
WeasyPrint copies the whole face and subsets it for every PDF it writes — about 0.25 s a document for
the two faces. Here each face is cut once to GB 2312 (6,763 汉字 and its symbols) plus ASCII, Latin-1
and the general, CJK and full-width punctuation — about 8,300 characters, 2–3 MB — with HarfBuzz's
subsetter (the library WeasyPrint itself uses, ``libharfbuzz-subset``; a quarter of a second, where
fontTools needs a minute). The cut is renamed (``SciPlan Serif``, ``SciPlan Sans``: a request for the
Noto family must never find the cut) and kept in ``VAR_DIR/fonts`` under a name derived from the source
face (path, size, modification time, index) and the character set, so a new font package or a changed
character set builds a new cut, and a process only reads it.

The stylesheets name the cut first and the full system face second. A character outside the cut — a
rare character of a person's or a company's name — is drawn from the full face (Pango falls back
character by character), never as a missing glyph. When the cut cannot be made (no libharfbuzz-subset,
no font, a read-only disk) :func:`font_face_css` is empty and the PDFs use the system faces, as before,
only slower.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import io
import logging
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings

logger = logging.getLogger("sciplan.documents")

# Raise when the character set, the kept features or the renaming change: a new cut is then built.
CUT_REVISION = 1


@dataclass(frozen=True)
class Face:
    family: str  # the name the stylesheets use for the cut
    source: str  # the fontconfig family of the full face, the fallback
    postscript: str


SERIF = Face("SciPlan Serif", "Noto Serif CJK SC", "SciPlanSerif-Regular")
SANS = Face("SciPlan Sans", "Noto Sans CJK SC", "SciPlanSans-Regular")

# Besides GB 2312: ASCII and Latin-1, general punctuation (— … ‰ ※), letterlike symbols and number forms
# (℃ № Ⅰ), arrows, enclosed numbers (① ⑴ ⒈), box drawing, geometric shapes and symbols (□ ○ ★ ☆),
# CJK punctuation (、。《》【】〇), enclosed CJK (㈠ ㊣) and the full-width forms (，：（）￥).
EXTRA_RANGES = (
    (0x0020, 0x007E),
    (0x00A0, 0x00FF),
    (0x2000, 0x206F),
    (0x2100, 0x21FF),
    (0x2460, 0x257F),
    (0x25A0, 0x26FF),
    (0x3000, 0x303F),
    (0x3200, 0x32FF),
    (0xFF00, 0xFFEF),
)
# The OpenType features HarfBuzz applies to horizontal text. Without ``locl`` (its variants for Japanese,
# Korean and traditional Chinese would add 6,000 glyphs) and the vertical ones (never used).
FEATURES = ("ccmp", "kern", "liga", "clig", "calt", "rlig", "mark", "mkmk", "rclt", "curs", "rvrn")
# Name records kept from the source: copyright, license and its URL, besides the ones renamed.
KEPT_NAME_IDS = (0, 2, 5, 13, 14)


@cache
def gb2312() -> frozenset[int]:
    """The code points of GB 2312: its 6,763 汉字 and 682 symbols."""
    points = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                points.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue  # an unassigned position of the code table
    return frozenset(points)


@cache
def charset() -> frozenset[int]:
    """The code points asked of the cut: GB 2312 and the ranges above (those the face has)."""
    return gb2312() | {cp for start, end in EXTRA_RANGES for cp in range(start, end + 1)}


def _source(face: Face) -> tuple[Path, int] | None:
    """The file and the index inside it of the system face, as fontconfig finds it."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    result = subprocess.run(
        [fc_match, "--format=%{family}\n%{file}\n%{index}", f"{face.source}:style=Regular"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    lines = result.stdout.split("\n")
    if result.returncode != 0 or len(lines) != 3 or face.source not in lines[0].split(","):
        return None  # fontconfig answers its best substitute (DejaVu, …) when the face is missing
    return Path(lines[1]), int(lines[2])


def _harfbuzz() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("harfbuzz-subset")
    if name is None:
        return None
    hb = ctypes.CDLL(name)
    pointer, uint = ctypes.c_void_p, ctypes.c_uint
    signatures = {
        "hb_blob_create_from_file_or_fail": (pointer, [ctypes.c_char_p]),
        "hb_blob_destroy": (None, [pointer]),
        "hb_blob_get_data": (ctypes.c_void_p, [pointer, ctypes.POINTER(uint)]),
        "hb_face_create": (pointer, [pointer, uint]),
        "hb_face_destroy": (None, [pointer]),
        "hb_face_reference_blob": (pointer, [pointer]),
        "hb_set_add": (None, [pointer, ctypes.c_uint32]),
        "hb_set_clear": (None, [pointer]),
        "hb_subset_input_create_or_fail": (pointer, []),
        "hb_subset_input_destroy": (None, [pointer]),
        "hb_subset_input_set": (pointer, [pointer, ctypes.c_int]),
        "hb_subset_input_set_flags": (None, [pointer, uint]),
        "hb_subset_input_unicode_set": (pointer, [pointer]),
        "hb_subset_or_fail": (pointer, [pointer, pointer]),
        "hb_tag_from_string": (ctypes.c_uint32, [ctypes.c_char_p, ctypes.c_int]),
    }
    for function, (restype, argtypes) in signatures.items():
        getattr(hb, function).restype = restype
        getattr(hb, function).argtypes = argtypes
    return hb


HB_SUBSET_FLAGS_NOTDEF_OUTLINE = 0x40  # draw the .notdef box, should a glyph ever be missing
HB_SUBSET_SETS_NAME_ID = 4
HB_SUBSET_SETS_LAYOUT_FEATURE_TAG = 6


def _cut(hb: ctypes.CDLL, path: Path, index: int) -> bytes:
    """The face at ``index`` of ``path`` with only the glyphs of :func:`charset` (HarfBuzz)."""
    blob = hb.hb_blob_create_from_file_or_fail(os.fsencode(path))
    if not blob:
        raise OSError(f"cannot read {path}")
    face = hb.hb_face_create(blob, index)
    request = hb.hb_subset_input_create_or_fail()
    try:
        unicodes = hb.hb_subset_input_unicode_set(request)
        for point in sorted(charset()):
            hb.hb_set_add(unicodes, point)
        features = hb.hb_subset_input_set(request, HB_SUBSET_SETS_LAYOUT_FEATURE_TAG)
        hb.hb_set_clear(features)
        for tag in FEATURES:
            hb.hb_set_add(features, hb.hb_tag_from_string(tag.encode(), -1))
        name_ids = hb.hb_subset_input_set(request, HB_SUBSET_SETS_NAME_ID)
        for name_id in (*KEPT_NAME_IDS, 1, 3, 4, 6):
            hb.hb_set_add(name_ids, name_id)
        hb.hb_subset_input_set_flags(request, HB_SUBSET_FLAGS_NOTDEF_OUTLINE)
        result = hb.hb_subset_or_fail(face, request)
        if not result:
            raise OSError(f"HarfBuzz could not subset {path}")
        try:
            out = hb.hb_face_reference_blob(result)
            length = ctypes.c_uint()
            data = hb.hb_blob_get_data(out, ctypes.byref(length))
            cut = ctypes.string_at(data, length.value)
            hb.hb_blob_destroy(out)
        finally:
            hb.hb_face_destroy(result)
    finally:
        hb.hb_subset_input_destroy(request)
        hb.hb_face_destroy(face)
        hb.hb_blob_destroy(blob)
    return cut


def _renamed(data: bytes, face: Face) -> bytes:
    """``data`` with the family, full and PostScript names of ``face`` (only the name table changes)."""
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data), lazy=True)
    names = font["name"]
    for name_id in (1, 3, 4, 6, 16, 17):
        names.removeNames(nameID=name_id)
    for name_id, value in (
        (1, face.family),
        (3, f"{face.family}; subset of {face.source} for SciPlan, revision {CUT_REVISION}"),
        (4, face.family),
        (6, face.postscript),
    ):
        names.setName(value, name_id, 3, 1, 0x409)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _cache_dir() -> Path:
    return Path(settings.VAR_DIR) / "fonts"


def cut_path(face: Face) -> Path | None:
    """The cut of ``face`` on disk, made now if it is not there yet; ``None`` when it cannot be made."""
    source = _source(face)
    if source is None:
        logger.warning("字体 %s 未安装，PDF 使用系统字体", face.source)
        return None
    path, index = source
    stat = path.stat()
    key = f"{path}|{stat.st_size}|{stat.st_mtime_ns}|{index}|{CUT_REVISION}|{','.join(FEATURES)}"
    key += "|" + hashlib.sha256(",".join(map(str, sorted(charset()))).encode()).hexdigest()
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    target = _cache_dir() / f"{face.postscript}-{digest}.otf"
    if target.exists():
        return target
    hb = _harfbuzz()
    if hb is None:
        logger.warning("未找到 libharfbuzz-subset，PDF 使用完整的系统字体")
        return None
    data = _renamed(_cut(hb, path, index), face)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Several processes may make the same cut at once: each writes its own file and renames it into
    # place, so a reader never sees half a font.
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as handle:
        handle.write(data)
    os.chmod(handle.name, 0o644)  # a font, read by every process of the installation
    os.replace(handle.name, target)
    return target


def font_face_css() -> str:
    """The ``@font-face`` rules of the cuts that could be made (empty when none could)."""
    rules = []
    for face in (SERIF, SANS):
        try:
            path = cut_path(face)
        except Exception:  # a font that cannot be cut must never stop a PDF: the system face stays
            logger.exception("无法生成字体子集 %s，PDF 使用系统字体", face.family)
            path = None
        if path is not None:
            rules.append(
                f'@font-face {{ font-family: "{face.family}"; font-weight: 400; font-style: normal; '
                f'src: url("{path.as_uri()}"); }}'
            )
    return "\n".join(rules)
