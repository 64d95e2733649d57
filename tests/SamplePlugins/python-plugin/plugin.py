#!/usr/bin/env python3
"""A Plugboard plugin in plain Python 3 (standard library only).

It implements the wire protocol by hand, to show that any language can host a plugin:
Content-Length framing on stdin/stdout, JSON-RPC 2.0, the initialize/initialized/shutdown/exit
lifecycle, $/ping, one listener and one tool. Logs go to stderr as JSON lines; stdout carries
protocol frames only. The plugin exits when stdin ends, on `exit`, and when the runtime's process
(PLUGBOARD_RUNTIME_PID) disappears.

SAMPLE_MODE=version-mismatch makes it speak only protocol "9.9".
"""

import datetime
import json
import os
import sys
import threading
import time

PLUGIN_ID = "plugboard.samples.python"
PROTOCOL_VERSIONS = ["9.9"] if os.environ.get("SAMPLE_MODE") == "version-mismatch" else ["1.0"]

# JSON-RPC and Plugboard error codes (see src/Plugboard.Protocol/Contracts/PlugboardErrorCodes.cs).
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
PROTOCOL_VERSION_MISMATCH = 1002
TOOL_NOT_FOUND = 2000
TOOL_ARGUMENTS_INVALID = 2001

CAPABILITIES = {
    "listeners": [{"name": "reply", "events": ["message.*"], "priority": 10}],
    "tools": [
        {
            "name": "echo",
            "description": "Returns the text it is given.",
            "parameters": {
                "type": "object",
                "properties": {"text": {"type": "string"}},
                "required": ["text"],
            },
        }
    ],
}

stdin = sys.stdin.buffer
stdout = sys.stdout.buffer
write_lock = threading.Lock()


def log(level, message):
    """One JSON object per line on stderr: the runtime turns it into a structured log entry."""
    entry = {
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "level": level,
        "category": "python-plugin",
        "message": message,
        "exception": None,
    }
    sys.stderr.write(json.dumps(entry) + "\n")
    sys.stderr.flush()


def send(message):
    body = json.dumps(message, separators=(",", ":")).encode("utf-8")
    with write_lock:
        stdout.write(b"Content-Length: %d\r\n\r\n" % len(body))
        stdout.write(body)
        stdout.flush()


def read_message():
    """Reads one framed message; returns None at end of input."""
    content_length = None
    while True:
        line = stdin.readline()
        if not line:
            return None
        line = line.rstrip(b"\r\n")
        if not line:
            break  # the blank line that ends the headers
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            content_length = int(value.strip())
    if content_length is None:
        raise ValueError("a message header block has no Content-Length")
    body = stdin.read(content_length)
    if len(body) < content_length:
        return None
    return json.loads(body.decode("utf-8"))


class RpcError(Exception):
    def __init__(self, code, message, data=None):
        super().__init__(message)
        self.code = code
        self.data = data if data is not None else {}


def initialize(params):
    offered = params.get("protocolVersions") or []
    chosen = next((v for v in PROTOCOL_VERSIONS if v in offered), None)
    if chosen is None:
        raise RpcError(
            PROTOCOL_VERSION_MISMATCH,
            "Protocol version mismatch: the runtime speaks [%s] but this plugin speaks [%s]."
            % (", ".join(offered), ", ".join(PROTOCOL_VERSIONS)),
            {"runtimeVersions": offered, "pluginVersions": PROTOCOL_VERSIONS},
        )
    runtime = params.get("runtime") or {}
    log("Information", "handshake: protocol %s with %s %s" % (chosen, runtime.get("name"), runtime.get("version")))
    return {
        "protocolVersion": chosen,
        "pluginId": PLUGIN_ID,
        "plugin": {"name": "python-plugin", "version": "1.0.0"},
        "capabilities": CAPABILITIES,
    }


def dispatch_event(params):
    if params.get("listener") != "reply":
        raise RpcError(INVALID_PARAMS, "no listener named %r (this plugin has: reply)" % params.get("listener"))
    data = (params.get("event") or {}).get("data") or {}
    text = data.get("text") if isinstance(data, dict) else None
    text = text if isinstance(text, str) else ""
    return {"stopPropagation": text.lower().startswith("stop"), "result": {"text": text}}


def invoke_tool(params):
    tool = params.get("tool")
    if tool != "echo":
        raise RpcError(TOOL_NOT_FOUND, "no tool named %r (this plugin has: echo)" % tool, {"tool": tool})
    arguments = params.get("arguments")
    if not isinstance(arguments, dict) or not isinstance(arguments.get("text"), str):
        raise RpcError(TOOL_ARGUMENTS_INVALID, 'echo takes {"text": string}', {"tool": tool})
    return {"text": arguments["text"]}


REQUESTS = {
    "initialize": initialize,
    "shutdown": lambda params: {},
    "$/ping": lambda params: {},
    "event/dispatch": dispatch_event,
    "tool/invoke": invoke_tool,
}


def watch_runtime(pid):
    """Exits when the runtime's process is gone (or has become a zombie)."""
    while True:
        try:
            os.kill(pid, 0)
            with open("/proc/%d/stat" % pid) as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    raise ProcessLookupError
        except (ProcessLookupError, FileNotFoundError):
            log("Warning", "the runtime process %d is gone; exiting" % pid)
            os._exit(0)
        except (PermissionError, OSError):
            pass  # exists but not ours to signal, or /proc unavailable: keep polling
        time.sleep(0.5)


def main():
    runtime_pid = os.environ.get("PLUGBOARD_RUNTIME_PID", "")
    if runtime_pid.isdigit():
        threading.Thread(target=watch_runtime, args=(int(runtime_pid),), daemon=True).start()

    while True:
        try:
            message = read_message()
        except (ValueError, json.JSONDecodeError) as error:
            log("Error", "unreadable input from the runtime: %s" % error)
            return 1
        if message is None:
            log("Information", "stdin closed; exiting")
            return 0
        method = message.get("method")
        if "id" not in message:  # a notification
            if method == "exit":
                log("Information", "exit received")
                return 0
            continue  # initialized, $/cancelRequest, ...
        handler = REQUESTS.get(method)
        try:
            if handler is None:
                raise RpcError(METHOD_NOT_FOUND, "Method not found: %r" % method, {"method": method})
            send({"jsonrpc": "2.0", "id": message["id"], "result": handler(message.get("params") or {})})
        except RpcError as error:
            send({"jsonrpc": "2.0", "id": message["id"],
                  "error": {"code": error.code, "message": str(error), "data": error.data}})


if __name__ == "__main__":
    sys.exit(main())
