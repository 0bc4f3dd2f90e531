#!/usr/bin/env python3
"""homelab answer service: one USB stick installs every Proxmox VE node.

The Proxmox VE automated installer, booted from an ISO prepared with
`prepare-iso --fetch-from http --url https://<pi>:<port>/answer --cert-fingerprint <sha256>`,
POSTs its system information (JSON: every NIC's MAC under `network_interfaces`) to the answer
URL and installs from the answer.toml it gets back. This service returns the answer of the node
whose configured MAC is among the machine's NICs, and refuses any other machine (404), a machine
that matches two nodes (409), and a node that already reported its install (409: a stick left in
a machine that boots it again must not reinstall it).

After the install, the installer POSTs to the webhook URL (answer.toml
[post-installation-webhook]); the service records the node under --state and logs it. Once
every configured node has reported, --on-all-installed (if given) runs once, in --run-dir.

Python 3 standard library only (the Pi needs no extra package). Listens on --listen only (the
LAN address), over TLS with the self-signed certificate whose fingerprint is in the ISO.
Written by the homelab project (ansible role pve_answer_service); config: http/service.json of
`npm run pve:answers`.
"""

import argparse
import datetime
import http.server
import json
import logging
import os
import shlex
import ssl
import subprocess
import sys
import threading

MAX_BODY = 1024 * 1024
LOG = logging.getLogger("pve-answer-service")


def load_config(path, answers_dir):
    with open(path, encoding="utf-8") as handle:
        config = json.load(handle)
    nodes = config.get("nodes") or []
    if not nodes:
        raise ValueError(f"{path}: no nodes")
    for node in nodes:
        for key in ("name", "fqdn", "mac", "answer"):
            if not isinstance(node.get(key), str) or not node[key]:
                raise ValueError(f"{path}: node without {key}: {node!r}")
        node["mac"] = node["mac"].lower()
        answer = os.path.join(answers_dir, node["answer"])
        if not os.path.isfile(answer) or not os.access(answer, os.R_OK):
            raise ValueError(f"answer file {answer} of {node['name']} is missing or unreadable")
    macs = [node["mac"] for node in nodes]
    if len(set(macs)) != len(macs):
        raise ValueError(f"{path}: two nodes share a MAC")
    return config


def macs_of(payload):
    """Every MAC the installer reports: network_interfaces[].mac (PVE 8.2+), its kebab-case
    spelling, or the older flat mac_addresses list."""
    found = []
    if isinstance(payload, dict):
        for key in ("network_interfaces", "network-interfaces"):
            for nic in payload.get(key) or []:
                if isinstance(nic, dict) and isinstance(nic.get("mac"), str):
                    found.append(nic["mac"].lower())
        for mac in payload.get("mac_addresses") or []:
            if isinstance(mac, str):
                found.append(mac.lower())
    return found


class State:
    """Which nodes reported their install, kept as one JSON file per node under <state>/installed."""

    def __init__(self, directory, nodes, on_all_installed, run_dir):
        self.dir = os.path.join(directory, "installed")
        os.makedirs(self.dir, exist_ok=True)
        self.done_flag = os.path.join(directory, "all-installed.ran")
        self.nodes = nodes
        self.on_all_installed = on_all_installed
        self.run_dir = run_dir
        self.lock = threading.Lock()

    def record_path(self, node):
        return os.path.join(self.dir, node["name"] + ".json")

    def installed(self, node):
        return os.path.exists(self.record_path(node))

    def record(self, node, record):
        with self.lock:
            tmp = self.record_path(node) + ".tmp"
            with open(tmp, "w", encoding="utf-8") as handle:
                json.dump(record, handle, indent=2)
            os.replace(tmp, self.record_path(node))
            reported = [n["name"] for n in self.nodes if self.installed(n)]
            everyone = len(reported) == len(self.nodes)
            run = everyone and self.on_all_installed and not os.path.exists(self.done_flag)
            if run:
                with open(self.done_flag, "w", encoding="utf-8") as handle:
                    handle.write(now() + "\n")
        LOG.info("%s installed (%d of %d reported: %s)", node["name"], len(reported), len(self.nodes), ", ".join(reported))
        if everyone:
            LOG.info("every node reported its install")
        if run:
            threading.Thread(target=self.run_command, daemon=True).start()

    def run_command(self):
        LOG.info("running once: %s (in %s)", self.on_all_installed, self.run_dir or os.getcwd())
        try:
            done = subprocess.run(
                shlex.split(self.on_all_installed),
                cwd=self.run_dir or None,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                check=False,
            )
        except OSError as err:
            LOG.error("could not run %s: %s", self.on_all_installed, err)
            return
        for line in done.stdout.decode("utf-8", "replace").splitlines():
            LOG.info("| %s", line)
        LOG.info("%s exited %d", self.on_all_installed, done.returncode)


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_handler(config, answers_dir, state):
    nodes = config["nodes"]
    answer_path = config.get("answerPath", "/answer")
    webhook_path = config.get("webhookPath", "/installed")

    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "homelab-answer-service"
        sys_version = ""
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # noqa: A002 (the base class's name)
            LOG.debug("%s %s", self.client_address[0], format % args)

        def reply(self, status, text, content_type="text/plain; charset=utf-8"):
            body = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True

        def read_json(self):
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self.reply(411, "a Content-Length is required\n")
                return None
            if length < 0 or length > MAX_BODY:
                self.reply(413, "body too large\n")
                return None
            try:
                return json.loads(self.rfile.read(length).decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                self.reply(400, "the body is not JSON\n")
                return None

        def do_GET(self):
            if self.path == "/health":
                self.reply(200, "ok\n")
            else:
                self.reply(404, "not found\n")

        def do_POST(self):
            if self.path not in (answer_path, webhook_path):
                self.reply(404, "not found\n")
                return
            payload = self.read_json()
            if payload is None:
                return
            macs = macs_of(payload)
            matches = [n for n in nodes if n["mac"] in macs]
            who = self.client_address[0]
            if self.path == answer_path:
                self.answer(who, macs, matches)
            else:
                self.webhook(who, payload, macs, matches)

        def answer(self, who, macs, matches):
            if not matches:
                LOG.warning("refused an answer to %s: unknown machine (MACs: %s)", who, ", ".join(macs) or "none")
                self.reply(404, "unknown machine: none of its MACs is a node of homelab.yaml\n")
                return
            if len(matches) > 1:
                names = ", ".join(n["name"] for n in matches)
                LOG.warning("refused an answer to %s: its NICs are configured for several nodes (%s)", who, names)
                self.reply(409, f"this machine has the MACs of several nodes ({names}): fix homelab.yaml\n")
                return
            node = matches[0]
            if state.installed(node):
                LOG.warning("refused an answer to %s: %s already reported its install (%s)", who, node["name"], state.record_path(node))
                self.reply(409, f"{node['name']} is already installed; remove {state.record_path(node)} to install it again\n")
                return
            with open(os.path.join(answers_dir, node["answer"]), encoding="utf-8") as handle:
                text = handle.read()
            LOG.info("served the answer of %s to %s (MAC %s)", node["name"], who, node["mac"])
            self.reply(200, text, "application/toml; charset=utf-8")

        def webhook(self, who, payload, macs, matches):
            if len(matches) != 1:
                LOG.warning("refused an install report from %s: %s (MACs: %s)", who, "unknown machine" if not matches else "several nodes", ", ".join(macs) or "none")
                self.reply(404, "unknown machine\n")
                return
            node = matches[0]
            fqdn = payload.get("fqdn") if isinstance(payload, dict) else None
            if fqdn != node["fqdn"]:
                LOG.warning("refused an install report from %s: MAC of %s but FQDN %r, expected %s", who, node["name"], fqdn, node["fqdn"])
                self.reply(409, f"FQDN {fqdn!r} is not {node['fqdn']}\n")
                return
            keys = payload.get("ssh-public-host-keys") if isinstance(payload, dict) else None
            state.record(node, {"node": node["name"], "fqdn": fqdn, "mac": node["mac"], "from": who, "at": now(), "ssh-public-host-keys": keys})
            self.reply(200, "recorded\n")

    return Handler


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that is not the installer (plain HTTP, a wrong fingerprint): one line, no traceback.
        LOG.warning("connection from %s failed: %s", client_address[0], sys.exc_info()[1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="service.json written by `npm run pve:answers`")
    parser.add_argument("--answers", required=True, help="folder of the nodes' answer files")
    parser.add_argument("--state", required=True, help="writable folder where install reports are kept")
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--listen", help="address to listen on (default: the config's, the Pi's LAN address)")
    parser.add_argument("--port", type=int, help="port (default: the config's; 0 picks a free one)")
    parser.add_argument("--on-all-installed", default="", help="command run once when every node reported")
    parser.add_argument("--run-dir", default="", help="working directory of that command")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stderr)

    try:
        config = load_config(args.config, args.answers)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(args.cert, args.key)
        state = State(args.state, config["nodes"], args.on_all_installed, args.run_dir)
        listen = args.listen or config["listen"]
        port = config["port"] if args.port is None else args.port
        server = Server((listen, port), make_handler(config, args.answers, state))
    except (OSError, ValueError, ssl.SSLError) as err:
        LOG.error("cannot start: %s", err)
        return 1
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    host, bound = server.server_address[:2]
    names = ", ".join(f"{n['name']} ({n['mac']})" for n in config["nodes"])
    LOG.info("listening on https://%s:%d, answers for %s", host, bound, names)
    print(f"listening on https://{host}:{bound}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
