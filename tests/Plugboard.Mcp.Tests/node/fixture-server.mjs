#!/usr/bin/env node
// A stdio MCP server built on the official TypeScript SDK, with the behaviours Plugboard's hosting tests need that
// server-everything does not offer: tools added at run time (tools/list_changed), a crash on request, a call that
// only ends when cancelled (and says so on stderr), large results and progress with messages.
//
// FIXTURE_MODE (environment): "normal" (default), "exit-at-start" (exit 2 before the handshake),
// "silent" (never answer: readiness timeout), "garbage" (write non-JSON to stdout, then serve normally).
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const mode = process.env.FIXTURE_MODE ?? "normal";
if (mode === "exit-at-start") {
  console.error("fixture: exiting at start as asked (FIXTURE_MODE=exit-at-start)");
  process.exit(2);
}
if (mode === "silent") {
  console.error("fixture: staying silent (FIXTURE_MODE=silent)");
  setInterval(() => {}, 1 << 30);
} else {
  if (mode === "garbage") {
    process.stdout.write("this is not JSON-RPC\n");
  }
  await serve();
}

async function serve() {
  const object = (properties = {}, required = []) => ({ type: "object", properties, required });
  const tools = new Map([
    ["echo", { description: "Echoes text", inputSchema: object({ text: { type: "string" } }, ["text"]) }],
    ["add_tool", { description: "Adds a tool named `name` and announces tools/list_changed", inputSchema: object({ name: { type: "string" } }, ["name"]) }],
    ["remove_tool", { description: "Removes a tool added with add_tool", inputSchema: object({ name: { type: "string" } }, ["name"]) }],
    ["crash", { description: "Exits the process with code 3", inputSchema: object() }],
    ["slow", { description: "Runs until cancelled; reports one progress first", inputSchema: object() }],
    ["big", { description: "Returns `bytes` characters of text", inputSchema: object({ bytes: { type: "integer", minimum: 0 } }, ["bytes"]) }],
    ["progress", { description: "Reports `steps` progress notifications with messages", inputSchema: object({ steps: { type: "integer", minimum: 1 } }, ["steps"]) }],
    ["env", { description: "Returns the names of the environment variables it sees", inputSchema: object() }],
    ["cancelled_count", { description: "How many calls of `slow` were cancelled", inputSchema: object() }],
  ]);
  const added = new Set();
  let cancelled = 0;

  const server = new Server({ name: "plugboard-fixture", version: "1.0.0" }, { capabilities: { tools: { listChanged: true } } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: [...tools.entries()].map(([name, tool]) => ({ name, ...tool })),
  }));

  const text = (value) => ({ content: [{ type: "text", text: value }] });
  const progressOf = (extra) => extra._meta?.progressToken;

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const args = request.params.arguments ?? {};
    switch (request.params.name) {
      case "echo":
        return text(String(args.text));
      case "add_tool":
        tools.set(args.name, { description: `Added at run time`, inputSchema: object() });
        added.add(args.name);
        await server.sendToolListChanged();
        return text(`added ${args.name}`);
      case "remove_tool":
        tools.delete(args.name);
        await server.sendToolListChanged();
        return text(`removed ${args.name}`);
      case "crash":
        console.error("fixture: crashing as asked");
        setTimeout(() => process.exit(3), 10);
        return text("crashing");
      case "slow": {
        const token = progressOf(extra);
        if (token !== undefined) {
          await extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: 1, message: "started" } });
        }
        await new Promise((resolve) => {
          if (extra.signal.aborted) {
            resolve();
            return;
          }
          extra.signal.addEventListener("abort", resolve, { once: true });
        });
        cancelled++;
        console.error(`fixture: slow cancelled (request ${extra.requestId})`);
        return text("cancelled");
      }
      case "big":
        return text("x".repeat(Number(args.bytes)));
      case "progress": {
        const token = progressOf(extra);
        const steps = Number(args.steps);
        for (let i = 1; i <= steps; i++) {
          if (token !== undefined) {
            await extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: i, total: steps, message: `step ${i} of ${steps}` } });
          }
        }
        return text(`done in ${steps} steps`);
      }
      case "cancelled_count":
        return text(String(cancelled));
      case "env":
        return text(Object.keys(process.env).sort().join("\n"));
      default:
        if (added.has(request.params.name)) {
          return text(`called ${request.params.name}`);
        }
        return { isError: true, content: [{ type: "text", text: `unknown tool ${request.params.name}` }] };
    }
  });

  await server.connect(new StdioServerTransport());
  console.error("fixture: serving on stdio");
}
