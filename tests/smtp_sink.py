#!/usr/bin/python3
"""A real SMTP server for the tests (Debian's python3-aiosmtpd): accepts mail on 127.0.0.1,
stores every message in a Maildir, and refuses recipients whose address contains
--reject (default "reddet") with a permanent 550, as a mailbox that does not exist would."""
import argparse
import mailbox
import signal
import ssl
import sys
import time

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, maildir, reject):
        self.box = mailbox.Maildir(maildir, create=True)
        self.reject = reject

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and self.reject in address:
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.box.add(envelope.original_content)
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--reject", default="reddet")
    parser.add_argument("--tls-mode", choices=["starttls", "wrapper"])
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    args = parser.parse_args()
    handler = Handler(args.maildir, args.reject)
    if args.tls_mode:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
    if args.tls_mode == "starttls":
        controller = Controller(handler, hostname="127.0.0.1", port=args.port, tls_context=context, require_starttls=True)
    elif args.tls_mode == "wrapper":
        controller = Controller(handler, hostname="127.0.0.1", port=args.port, ssl_context=context)
    else:
        controller = Controller(handler, hostname="127.0.0.1", port=args.port)
    controller.start()
    signal.signal(signal.SIGTERM, lambda *_: (controller.stop(), sys.exit(0)))
    print("ready", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
