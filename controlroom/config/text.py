"""Text helpers shared by the CSV loaders: strict UTF-8 reading, diacritics-free matching."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_PARENS = re.compile(r"\([^)]*\)")


def fold(text: str) -> str:
    """Lower-case ``text``, drop Vietnamese diacritics (``đ`` → ``d``) and collapse spaces."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def fold_key(text: str) -> str:
    """Fold a header: no diacritics, no parenthesised hint, punctuation as single spaces."""
    return _NON_ALNUM.sub(" ", fold(_PARENS.sub(" ", text))).strip()


def read_text(path: Path) -> str:
    """Read a whole file as UTF-8 (a BOM is tolerated); ConfigError when missing or not UTF-8."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(path, "file not found") from None
    except OSError as exc:
        raise ConfigError(path, f"cannot read file: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            path,
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as 'CSV UTF-8' (or any UTF-8 text)",
            line=line,
        ) from None


@dataclass(frozen=True)
class Row:
    """One data row of a CSV file: its first line number and its cells by canonical field."""

    line: int
    cells: Mapping[str, str]
    headers: Mapping[str, str]

    def get(self, field: str) -> str:
        """The stripped cell of ``field`` ('' when the column is absent)."""
        return self.cells.get(field, "").strip()

    def error(self, path: Path, field: str, message: str) -> ConfigError:
        """A ConfigError pointing at this row and the column of ``field`` as the file names it."""
        return ConfigError(path, message, line=self.line, column=self.headers.get(field, field))


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def read_table(
    path: Path,
    aliases: Mapping[str, tuple[str, ...]],
    required: tuple[str, ...],
) -> tuple[Mapping[str, str], Iterator[Row]]:
    """Read a CSV file whose header names columns by any of ``aliases`` (folded comparison).

    Returns the canonical field → header text map and an iterator of non-blank rows. Columns
    not named in ``aliases`` are ignored (notes, remarks). The delimiter (``,``, ``;`` or tab)
    is taken from the header line, as spreadsheets in a Vietnamese locale often write ``;``.
    """
    text = read_text(path)
    lookup = {fold_key(alias): field for field, names in aliases.items() for alias in names}
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0]))
    try:
        header = next(reader)
    except StopIteration:
        raise ConfigError(path, "the file is empty; a header row is expected", line=1) from None
    except csv.Error as exc:
        raise ConfigError(path, f"not a valid CSV file: {exc}", line=1) from None
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    for index, raw in enumerate(header):
        field = lookup.get(fold_key(raw))
        if field is None:
            continue
        if field in positions:
            raise ConfigError(
                path,
                f"two columns mean the same thing ({headers[field]!r} and {raw.strip()!r})",
                line=1,
                column=raw.strip(),
            )
        positions[field] = index
        headers[field] = raw.strip()
    for field in required:
        if field not in positions:
            names = " or ".join(repr(name) for name in aliases[field][:2])
            raise ConfigError(path, f"missing column (expected {names})", line=1, column=field)

    def rows() -> Iterator[Row]:
        previous_end = reader.line_num
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ConfigError(
                    path, f"not a valid CSV row: {exc}", line=previous_end + 1
                ) from None
            line = previous_end + 1
            previous_end = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            cells = {
                field: record[index] if index < len(record) else ""
                for field, index in positions.items()
            }
            yield Row(line, cells, headers)

    return headers, rows()
