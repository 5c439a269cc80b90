"""One line to stdout in one write(2): lines of several ranks then never interleave under mpiexec (print() writes its
pieces separately when PYTHONUNBUFFERED is set), and the line is out before the next statement runs."""
import os


def say(line: str) -> None:
    os.write(1, (line + "\n").encode())
