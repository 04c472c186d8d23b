"""Text helpers shared by the CSV loaders: strict UTF-8 reading, diacritics-free matching."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
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


#: Spreadsheet files read wherever a CSV is (the first sheet; the rest is ignored).
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
Record = tuple[int, list[str]]


def _csv_records(path: Path) -> Iterator[Record]:
    """(first line number, cells) of every CSV record; the delimiter comes from the header."""
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0]))
    previous_end = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ConfigError(path, f"not a valid CSV row: {exc}", line=previous_end + 1) from None
        yield previous_end + 1, record
        previous_end = reader.line_num


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV export would hold (08:00, 912345678, 1.5)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, timedelta):
        minutes = int(value.total_seconds() // 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    return "" if value is None else str(value)


def _spreadsheet_records(path: Path) -> Iterator[Record]:
    """(row number as the spreadsheet shows it, cells) of the first sheet."""
    from python_calamine import CalamineError, CalamineWorkbook

    if not path.is_file():
        raise ConfigError(path, "file not found")
    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except (CalamineError, OSError, ValueError) as exc:
        raise ConfigError(path, f"not a readable spreadsheet: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - calamine raises its own types for broken files
        raise ConfigError(path, f"not a readable spreadsheet: {type(exc).__name__}") from None
    for index, row in enumerate(rows):
        yield index + 1, [_cell_text(cell) for cell in row]


def records(path: Path) -> Iterator[Record]:
    """The records of a CSV file or, by its suffix, of a spreadsheet's first sheet."""
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        return _spreadsheet_records(path)
    return _csv_records(path)


def read_table(
    path: Path,
    aliases: Mapping[str, tuple[str, ...]],
    required: tuple[str, ...],
) -> tuple[Mapping[str, str], Iterator[Row]]:
    """Read a CSV file (or a spreadsheet) whose header names columns by any of ``aliases``.

    Headers are compared folded (no diacritics, no case). Returns the canonical field →
    header text map and an iterator of non-blank rows. Columns not named in ``aliases``
    are ignored (notes, remarks). A CSV's delimiter (``,``, ``;`` or tab) is taken from
    the header line, as spreadsheets in a Vietnamese locale often write ``;``; an
    ``.xlsx`` file is read from its first sheet, its row numbers as the spreadsheet shows.
    Blank rows before the header are skipped.
    """
    lookup = {fold_key(alias): field for field, names in aliases.items() for alias in names}
    source = records(path)
    first = next((r for r in source if any(cell.strip() for cell in r[1])), None)
    if first is None:
        raise ConfigError(path, "the file is empty; a header row is expected", line=1)
    header_line, header = first
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
                line=header_line,
                column=raw.strip(),
            )
        positions[field] = index
        headers[field] = raw.strip()
    for field in required:
        if field not in positions:
            names = " or ".join(repr(name) for name in aliases[field][:2])
            raise ConfigError(
                path, f"missing column (expected {names})", line=header_line, column=field
            )

    def rows() -> Iterator[Row]:
        for line, record in source:
            if not any(cell.strip() for cell in record):
                continue
            cells = {
                field: record[index] if index < len(record) else ""
                for field, index in positions.items()
            }
            yield Row(line, cells, headers)

    return headers, rows()


def table_file(directory: Path, stem: str) -> Path:
    """``stem.csv`` in ``directory``, or the one spreadsheet ``stem.xlsx`` (etc.) there.

    Two files for one table is an error: which one the organiser edited cannot be told.
    """
    candidates = [directory / f"{stem}.csv"] + [
        directory / f"{stem}{s}" for s in SPREADSHEET_SUFFIXES
    ]
    present = [path for path in candidates if path.is_file()]
    if len(present) > 1:
        names = " and ".join(path.name for path in present)
        raise ConfigError(present[0], f"both {names} are present; keep one")
    return present[0] if present else candidates[0]
