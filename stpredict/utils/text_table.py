"""Plain-text tables for the command-line tools."""
from typing import Optional, Sequence


def format_table(header: Sequence[str],
                 rows: Sequence[Sequence[object]],
                 right_align: Optional[Sequence[int]] = None) -> str:
    """Lay rows out as a table with ``|`` between the columns.

    Args:
        header (Sequence[str]): The column names.
        rows (Sequence[Sequence[object]]): The cells (turned into strings
            with ``str``), as many per row as the header has.
        right_align (Sequence[int], optional): Indices of the columns to
            align right (numbers). Defaults to None (all left).

    Returns:
        str: The table, a rule of dashes under the header.

    Raises:
        ValueError: If a row has another number of cells than the header.
    """
    table = [[str(cell) for cell in header]]
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f'format_table: a row has {len(row)} cells, the '
                             f'header {len(header)}: {list(row)!r}.')
        table.append([str(cell) for cell in row])
    right = set(right_align or ())
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]

    def line(cells):
        return ' | '.join(
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths))).rstrip()

    lines = [line(row) for row in table]
    lines.insert(1, '-+-'.join('-' * width for width in widths))
    return '\n'.join(lines)
