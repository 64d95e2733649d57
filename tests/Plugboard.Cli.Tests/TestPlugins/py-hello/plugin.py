#!/usr/bin/env python3
"""A small plugin in plain Python (standard library only) for the CLI's end-to-end tests.

Speaks the plugin protocol over stdio (Content-Length framing), or over a WebSocket when PLUGBOARD_DEBUG_URL
is set (debug attach; hand-written RFC 6455 client, text frames only). Tools: echo {text} -> {text, pid, greeting};
log {line} writes a stderr line. Listener "hello" on test.*. Command "hello" streams two chunks.
GREETING (environment) changes what echo answers, so a test can tell instances apart.
"""
import base64, json, os, socket, struct, sys, threading, urllib.parse

GREETING = os.environ.get("GREETING", "hello")
write_lock = threading.Lock()


def log(level, message):
    sys.stderr.write(json.dumps({"level": level, "message": message, "category": "py-hello"}) + "\n")
    sys.stderr.flush()


class Stdio:
    def __init__(self):
        self.inp = sys.stdin.buffer
        self.out = sys.stdout.buffer

    def send(self, obj):
        body = json.dumps(obj).encode("utf-8")
        with write_lock:
            self.out.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.out.flush()

    def receive(self):
        length = None
        while True:
            line = self.inp.readline()
            if not line:
                return None
            line = line.strip()
            if not line:
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        body = self.inp.read(length)
        return json.loads(body) if len(body) == length else None


class WebSocket:
    def __init__(self, url, token):
        parts = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port or 80))
        key = base64.b64encode(os.urandom(16)).decode()
        path = parts.path + ("?" + parts.query if parts.query else "")
        request = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n") % (path, parts.hostname, parts.port, key, token)
        self.sock.sendall(request.encode())
        self.reader = self.sock.makefile("rb")
        status = self.reader.readline().decode()
        headers = {}
        while True:
            line = self.reader.readline().decode().strip()
            if not line:
                break
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if " 101 " not in status:
            log("Error", "debug attach refused: %s %s" % (status.strip(), headers.get("x-plugboard-error", "")))
            sys.exit(4)

    def send(self, obj):
        payload = json.dumps(obj).encode("utf-8")
        header = bytearray([0x81])
        mask = os.urandom(4)
        if len(payload) < 126:
            header.append(0x80 | len(payload))
        elif len(payload) < 65536:
            header.append(0x80 | 126)
            header += struct.pack(">H", len(payload))
        else:
            header.append(0x80 | 127)
            header += struct.pack(">Q", len(payload))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        with write_lock:
            self.sock.sendall(bytes(header) + mask + masked)

    def receive(self):
        message = b""
        while True:
            head = self.reader.read(2)
            if len(head) < 2:
                return None
            opcode = head[0] & 0x0F
            length = head[1] & 0x7F
            if length == 126:
                length = struct.unpack(">H", self.reader.read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self.reader.read(8))[0]
            data = self.reader.read(length)
            if opcode == 0x8:
                return None
            if opcode == 0x9:
                with write_lock:
                    self.sock.sendall(bytes([0x8A, 0x80 | len(data)]) + b"\0\0\0\0" + data)
                continue
            if opcode in (0x1, 0x0):
                message += data
                if head[0] & 0x80:
                    return json.loads(message)


def main():
    url = os.environ.get("PLUGBOARD_DEBUG_URL")
    channel = WebSocket(url, os.environ.get("PLUGBOARD_DEBUG_TOKEN", "")) if url else Stdio()
    log("Information", "py-hello starting (pid %d, %s)" % (os.getpid(), "attached" if url else "stdio"))

    def respond(msg_id, result=None, error=None):
        channel.send({"jsonrpc": "2.0", "id": msg_id, "error": error} if error else {"jsonrpc": "2.0", "id": msg_id, "result": result})

    while True:
        msg = channel.receive()
        if msg is None:
            return
        method, msg_id, params = msg.get("method"), msg.get("id"), msg.get("params") or {}
        if method == "initialize":
            respond(msg_id, {
                "protocolVersion": params["protocolVersions"][0],
                "pluginId": os.environ.get("REPORTED_ID", params["pluginId"]),
                "plugin": {"name": "py-hello", "version": "1.0.0"},
                "capabilities": {
                    "listeners": [{"name": "hello", "events": ["test.*"], "priority": 1}],
                    "tools": [
                        {"name": "echo", "description": "Echo text", "parameters": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}},
                        {"name": "log", "description": "Write a log line", "parameters": {"type": "object", "properties": {"line": {"type": "string"}}}},
                    ],
                    "commands": [{"name": "hello"}],
                },
            })
        elif method == "$/ping":
            respond(msg_id, {})
        elif method == "tool/invoke":
            args = params.get("arguments") or {}
            if params["tool"] == "echo":
                token = params.get("progressToken")
                if token is not None:
                    channel.send({"jsonrpc": "2.0", "method": "$/progress", "params": {"token": token, "value": {"step": 1}}})
                respond(msg_id, {"text": args.get("text"), "pid": os.getpid(), "greeting": GREETING})
            elif params["tool"] == "log":
                log("Information", args.get("line", ""))
                respond(msg_id, {"logged": True})
            else:
                respond(msg_id, error={"code": 2000, "message": "no tool " + params["tool"], "data": {}})
        elif method == "event/dispatch":
            respond(msg_id, {"stopPropagation": False, "result": {"seen": params["event"]["type"], "greeting": GREETING}})
        elif method == "command/execute":
            token = params.get("progressToken")
            for chunk in ("hello ", "world\n"):
                if token is not None:
                    channel.send({"jsonrpc": "2.0", "method": "$/progress", "params": {"token": token, "value": chunk}})
            respond(msg_id, {"exitCode": 0})
        elif method == "shutdown":
            respond(msg_id, None)
        elif method == "exit":
            return
        elif msg_id is not None and method is not None:
            respond(msg_id, error={"code": -32601, "message": "Method not found: " + method, "data": {}})


if __name__ == "__main__":
    main()
