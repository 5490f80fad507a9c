"""A one-line progress bar for the fill, drawn on a terminal only."""

from __future__ import annotations

from typing import TextIO

from .auditing import Step

WIDTH = 30


class ProgressBar:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.drawn = False

    def __call__(self, step: Step, index: int, total: int) -> None:
        done = int(WIDTH * index / max(total, 1))
        line = f"\r[{'#' * done}{'.' * (WIDTH - done)}] {index + 1}/{total} {step.id}"
        self.stream.write(line[:100].ljust(100))
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()
            self.drawn = False


def stream_is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
