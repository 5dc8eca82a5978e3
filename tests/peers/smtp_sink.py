"""An SMTP server for the tests: every message it accepts is written, as the raw RFC 5322
bytes it received, to <directory>/<n>.eml (n counts from 1, so names sort in arrival order).

    python smtp_sink.py DIRECTORY [--port PORT]

Listens on 127.0.0.1 (PORT, or a free port when it is 0 or left out), prints the port on
stdout once it accepts connections, and runs until its standard input closes or it is
killed. aiosmtpd is an SMTP implementation independent of the one under test.
"""

import argparse
import itertools
import os
import socket
import sys

from aiosmtpd.controller import Controller


class SaveToDirectory:
    """aiosmtpd handler: one file per message, written whole before it appears."""

    def __init__(self, directory):
        self.directory = directory
        self.numbers = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        number = next(self.numbers)
        partial = os.path.join(self.directory, f"{number:06d}.partial")
        with open(partial, "wb") as file:
            file.write(envelope.original_content or envelope.content)
        os.replace(partial, os.path.join(self.directory, f"{number:06d}.eml"))
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.directory, exist_ok=True)
    # aiosmtpd's start() connects to its own port to check it is up, so it needs a real one.
    port = args.port or free_port()
    controller = Controller(SaveToDirectory(args.directory), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        print(port, flush=True)
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
