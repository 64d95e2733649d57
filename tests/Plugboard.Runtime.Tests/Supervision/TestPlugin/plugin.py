#!/usr/bin/env python3
"""A protocol-level test plugin in plain Python (standard library only).

Behaviour is chosen with the MODE environment variable (set in the manifest's execution.env):
  normal            serve the handshake, listeners, tools and pings
  crash-on-start    exit 1 before the handshake
  hang-on-start     read requests but never answer initialize
  version-mismatch  answer initialize with an error: only protocol 9.9 is spoken
  garbage-stdout    after initialized, write bytes that are not a frame to stdout
  oversized         after initialized, send a notification larger than the runtime's limit, then keep serving
  crash-after-init  exit 2 shortly after initialized
Tools: echo {text}, slow {milliseconds} (honours $/cancelRequest), cancelled_count, crash, hang (stop answering).
Listeners: "first" on message.* (priority from config "priority", default 10; stops propagation when
data.text starts with "stop"), "all" on * (priority 0), "slowpoke" on slow.* (sleeps 60 s).
"""
import json, os, sys, threading, time

MODE = os.environ.get("MODE", "normal")
stdin = sys.stdin.buffer
stdout = sys.stdout.buffer
write_lock = threading.Lock()
cancels = {}
cancelled = [0]
config = {}
frozen = threading.Event()
bots = {}
outbox = []
pending = {}
next_request = [0]


def log(level, message):
    sys.stderr.write(json.dumps({"level": level, "message": message, "category": "testplugin"}) + "\n")
    sys.stderr.flush()


def send(obj):
    body = json.dumps(obj).encode("utf-8")
    with write_lock:
        stdout.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        stdout.flush()


def read_frame():
    length = None
    while True:
        line = stdin.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = stdin.read(length)
    if len(body) < length:
        return None
    return json.loads(body)


def respond(msg_id, result=None, error=None):
    if frozen.is_set():
        return
    if error is not None:
        send({"jsonrpc": "2.0", "id": msg_id, "error": error})
    else:
        send({"jsonrpc": "2.0", "id": msg_id, "result": result})


def call_runtime(method, params, timeout=30):
    """Plugin -> runtime request; the main loop delivers the response."""
    next_request[0] += 1
    request_id = "p%d" % next_request[0]
    waiter = {"event": threading.Event()}
    pending[request_id] = waiter
    send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
    if not waiter["event"].wait(timeout):
        raise RuntimeError("runtime did not answer " + method)
    pending.pop(request_id, None)
    return waiter["response"]


def inject(msg_id, args):
    bot_id = args["botId"]
    data = {
        "messageId": args.get("messageId", "in-1"),
        "chat": {"type": "person", "id": args.get("userId", "u1")},
        "sender": {"id": args.get("userId", "u1"), "name": "User"},
        "chain": [{"type": "plain", "text": args.get("text", "")}],
    }
    response = call_runtime("event/emit", {"type": args.get("type", "message.received"), "data": data, "botId": bot_id})
    respond(msg_id, response.get("result", response.get("error")))


def slow(msg_id, params):
    event = threading.Event()
    cancels[json.dumps(msg_id)] = event
    if event.wait(params.get("milliseconds", 1000) / 1000.0):
        cancelled[0] += 1
        respond(msg_id, error={"code": -32800, "message": "cancelled", "data": {}})
    else:
        respond(msg_id, result={"done": True})
    cancels.pop(json.dumps(msg_id), None)


def after_initialized():
    if MODE == "garbage-stdout":
        time.sleep(0.2)
        with write_lock:
            stdout.write(b"this is not a frame\r\n\r\n{garbage}")
            stdout.flush()
    elif MODE == "oversized":
        time.sleep(0.2)
        send({"jsonrpc": "2.0", "method": "event/emit", "params": {"type": "x.big", "data": "x" * (int(os.environ.get("OVERSIZE", "2000000")))}})
        log("Information", "sent oversized message")
    elif MODE == "crash-after-init":
        time.sleep(0.3)
        log("Error", "crashing on purpose after init")
        os._exit(2)


def handle(msg):
    method = msg.get("method")
    msg_id = msg.get("id")
    params = msg.get("params") or {}
    if method == "initialize":
        if MODE == "hang-on-start":
            return
        if MODE == "version-mismatch":
            respond(msg_id, error={"code": 1002, "message": "plugin speaks protocol 9.9; runtime offered %s" % ",".join(params.get("protocolVersions", [])), "data": {"supported": ["9.9"]}})
            return
        config.update(params.get("config") or {})
        priority = int(config.get("priority", 10))
        respond(msg_id, {
            "protocolVersion": params["protocolVersions"][0],
            "pluginId": params["pluginId"],
            "plugin": {"name": "python test plugin", "version": "1.0.0"},
            "capabilities": {
                "listeners": [
                    {"name": "first", "events": ["message.*"], "priority": priority},
                    {"name": "all", "events": ["*"], "priority": 0},
                    {"name": "slowpoke", "events": ["slow.*"], "priority": 5},
                ],
                "tools": [{"name": "echo", "description": "Echo", "parameters": {"type": "object"}}],
                "commands": [{"name": "greet"}],
            },
        })
        log("Information", "initialized with config %s" % json.dumps(sorted(config.keys())))
    elif method == "initialized":
        threading.Thread(target=after_initialized, daemon=True).start()
    elif method == "$/ping":
        respond(msg_id, {})
    elif method == "$/cancelRequest":
        event = cancels.get(json.dumps(params.get("id")))
        if event:
            event.set()
    elif method == "event/dispatch":
        event = params["event"]
        if params["listener"] == "slowpoke":
            threading.Thread(target=lambda: (time.sleep(60), respond(msg_id, {})), daemon=True).start()
            return
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        text = data.get("text") or "".join(c.get("text", "") for c in data.get("chain", []) if c.get("type") == "plain")
        stop = params["listener"] == "first" and text.startswith("stop")
        result = {"listener": params["listener"], "pid": os.getpid()}
        if params["listener"] == "first" and text.startswith("act"):
            result["actions"] = [{"api": "reply", "params": {"chain": [{"type": "plain", "text": "acted: " + text}]}}]
        respond(msg_id, {"stopPropagation": stop, "result": result})
    elif method == "tool/invoke":
        tool = params["tool"]
        args = params.get("arguments") or {}
        if tool == "echo":
            respond(msg_id, {"text": args.get("text"), "pid": os.getpid()})
        elif tool == "slow":
            threading.Thread(target=slow, args=(msg_id, args), daemon=True).start()
        elif tool == "cancelled_count":
            respond(msg_id, cancelled[0])
        elif tool == "crash":
            os._exit(3)
        elif tool == "hang":
            respond(msg_id, {"frozen": True})
            frozen.set()
        elif tool == "config":
            respond(msg_id, config)
        elif tool == "outbox":
            respond(msg_id, outbox)
        elif tool == "bots":
            respond(msg_id, bots)
        elif tool == "inject":
            threading.Thread(target=inject, args=(msg_id, args), daemon=True).start()
        elif tool == "env":
            respond(msg_id, sorted(os.environ.keys()))
        else:
            respond(msg_id, error={"code": 2000, "message": "no tool " + tool, "data": {}})
    elif method == "command/execute":
        token = params.get("progressToken")
        for i in range(3):
            if token is not None:
                send({"jsonrpc": "2.0", "method": "$/progress", "params": {"token": token, "value": "line %d\n" % (i + 1)}})
        respond(msg_id, {"exitCode": 0})
    elif method == "adapter/start":
        bots[params["botId"]] = params.get("config")
        respond(msg_id, {})
    elif method == "adapter/stop":
        bots.pop(params["botId"], None)
        respond(msg_id, {})
    elif method is not None and method.startswith("adapter/"):
        if params.get("botId") not in bots:
            respond(msg_id, error={"code": 3001, "message": "bot not started: %s" % params.get("botId"), "data": {}})
            return
        outbox.append({"api": method[len("adapter/"):], "params": params})
        respond(msg_id, {"messageId": "out-%d" % len(outbox)})
    elif method == "shutdown":
        respond(msg_id, None)
    elif method == "exit":
        sys.exit(0)
    elif msg_id is not None:
        respond(msg_id, error={"code": -32601, "message": "Method not found: " + str(method), "data": {}})


def main():
    if MODE == "crash-on-start":
        log("Critical", "crashing on start as asked")
        sys.exit(1)
    while True:
        msg = read_frame()
        if msg is None:
            return
        if frozen.is_set():
            continue
        if "method" in msg:
            handle(msg)
        elif msg.get("id") in pending:
            waiter = pending[msg["id"]]
            waiter["response"] = msg
            waiter["event"].set()


if __name__ == "__main__":
    main()
