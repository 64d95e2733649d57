#!/usr/bin/env node
// The tools, resources and prompts the MCP conformance suite's server scenarios call, as a stdio MCP server on the
// official TypeScript SDK. Plugboard hosts it (mcp.conformance.*) and the suite runs against Plugboard's own MCP
// endpoint (/mcp), so every scenario travels: suite -> Plugboard's MCP server -> tool registry -> Plugboard's MCP
// client -> this server, and back. The behaviours follow the scenario descriptions of @modelcontextprotocol/conformance.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import {
  CallToolRequestSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";

// A 1x1 red PNG and a 44-byte silent WAV.
const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
const wav = Buffer.concat([
  Buffer.from("RIFF"), Buffer.from([36, 0, 0, 0]), Buffer.from("WAVEfmt "),
  Buffer.from([16, 0, 0, 0, 1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0]),
  Buffer.from("data"), Buffer.from([0, 0, 0, 0]),
]).toString("base64");

const empty = { type: "object", properties: {}, required: [] };
const tools = [
  { name: "test_simple_text", description: "Returns simple text", inputSchema: empty },
  { name: "test_image_content", description: "Returns an image", inputSchema: empty },
  { name: "test_audio_content", description: "Returns audio", inputSchema: empty },
  { name: "test_embedded_resource", description: "Returns an embedded resource", inputSchema: empty },
  { name: "test_multiple_content_types", description: "Returns text, an image and a resource", inputSchema: empty },
  { name: "test_tool_with_logging", description: "Logs three messages while running", inputSchema: empty },
  { name: "test_error_handling", description: "Always fails", inputSchema: empty },
  { name: "test_tool_with_progress", description: "Reports progress 0, 50, 100", inputSchema: empty },
  { name: "test_sampling", description: "Asks the client to sample", inputSchema: { type: "object", properties: { prompt: { type: "string" } }, required: ["prompt"] } },
  { name: "test_elicitation", description: "Asks the user for input", inputSchema: { type: "object", properties: { message: { type: "string" } }, required: ["message"] } },
  { name: "test_elicitation_sep1034_defaults", description: "Elicitation with defaults", inputSchema: empty },
  { name: "test_elicitation_sep1330_enums", description: "Elicitation with enums", inputSchema: empty },
  { name: "test_reconnection", description: "Answers after a delay", inputSchema: empty },
  {
    name: "json_schema_2020_12_tool",
    description: "Tool with JSON Schema 2020-12 features",
    inputSchema: {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      $defs: { address: { type: "object", properties: { street: { type: "string" }, city: { type: "string" } } } },
      properties: { name: { type: "string" }, address: { $ref: "#/$defs/address" } },
      additionalProperties: false,
    },
  },
];

const server = new Server(
  { name: "plugboard-conformance-fixture", version: "1.0.0" },
  { capabilities: { tools: { listChanged: true }, resources: { subscribe: true, listChanged: true }, prompts: { listChanged: true }, logging: {} } },
);
const text = (value) => ({ content: [{ type: "text", text: value }] });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
server.setRequestHandler(SetLevelRequestSchema, async () => ({}));
server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
  const args = request.params.arguments ?? {};
  switch (request.params.name) {
    case "test_simple_text":
      return text("This is a simple text response for testing.");
    case "test_image_content":
      return { content: [{ type: "image", data: png, mimeType: "image/png" }] };
    case "test_audio_content":
      return { content: [{ type: "audio", data: wav, mimeType: "audio/wav" }] };
    case "test_embedded_resource":
      return { content: [{ type: "resource", resource: { uri: "test://embedded-resource", mimeType: "text/plain", text: "This is an embedded resource content." } }] };
    case "test_multiple_content_types":
      return {
        content: [
          { type: "text", text: "Multiple content types test:" },
          { type: "image", data: png, mimeType: "image/png" },
          { type: "resource", resource: { uri: "test://mixed-content-resource", mimeType: "application/json", text: JSON.stringify({ test: "data", value: 123 }) } },
        ],
      };
    case "test_tool_with_logging":
      for (const [i, message] of ["Tool execution started", "Tool processing data", "Tool execution completed"].entries()) {
        if (i > 0) await sleep(50);
        await extra.sendNotification({ method: "notifications/message", params: { level: "info", data: message } });
      }
      return text("Tool with logging executed successfully");
    case "test_error_handling":
      return { isError: true, content: [{ type: "text", text: "This tool intentionally returns an error for testing" }] };
    case "test_tool_with_progress": {
      const token = extra._meta?.progressToken;
      for (const [i, progress] of [0, 50, 100].entries()) {
        if (i > 0) await sleep(50);
        if (token !== undefined) {
          await extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress, total: 100 } });
        }
      }
      return text("Tool with progress executed successfully");
    }
    case "test_sampling": {
      const result = await extra.sendRequest(
        { method: "sampling/createMessage", params: { messages: [{ role: "user", content: { type: "text", text: String(args.prompt) } }], maxTokens: 100 } },
        CreateMessageResultSchema,
      );
      return text(`LLM response: ${result.content?.text ?? JSON.stringify(result.content)}`);
    }
    case "test_elicitation": {
      const result = await extra.sendRequest(
        {
          method: "elicitation/create",
          params: {
            message: String(args.message),
            requestedSchema: {
              type: "object",
              properties: { username: { type: "string", description: "User's response" }, email: { type: "string", description: "User's email address" } },
              required: ["username", "email"],
            },
          },
        },
        ElicitResultSchema,
      );
      return text(`User response: ${JSON.stringify(result)}`);
    }
    case "test_elicitation_sep1034_defaults": {
      const result = await extra.sendRequest(
        {
          method: "elicitation/create",
          params: {
            message: "Please review your profile (defaults filled in)",
            requestedSchema: {
              type: "object",
              properties: {
                name: { type: "string", description: "User name", default: "John Doe" },
                age: { type: "integer", description: "User age", default: 30 },
                score: { type: "number", description: "User score", default: 95.5 },
                status: { type: "string", description: "User status", enum: ["active", "inactive", "pending"], default: "active" },
                verified: { type: "boolean", description: "Verification status", default: true },
              },
            },
          },
        },
        ElicitResultSchema,
      );
      return text(`Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
    }
    case "test_elicitation_sep1330_enums": {
      const result = await extra.sendRequest(
        {
          method: "elicitation/create",
          params: {
            message: "Please choose",
            requestedSchema: {
              type: "object",
              properties: {
                untitledSingle: { type: "string", enum: ["option1", "option2", "option3"] },
                titledSingle: { type: "string", oneOf: [{ const: "value1", title: "First Option" }, { const: "value2", title: "Second Option" }, { const: "value3", title: "Third Option" }] },
                legacyEnum: { type: "string", enum: ["opt1", "opt2", "opt3"], enumNames: ["Option One", "Option Two", "Option Three"] },
                untitledMulti: { type: "array", items: { type: "string", enum: ["option1", "option2", "option3"] } },
                titledMulti: { type: "array", items: { anyOf: [{ const: "value1", title: "First Choice" }, { const: "value2", title: "Second Choice" }, { const: "value3", title: "Third Choice" }] } },
              },
            },
          },
        },
        ElicitResultSchema,
      );
      return text(`Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
    }
    case "test_reconnection":
      await sleep(100);
      return text("Reconnection test completed successfully");
    case "json_schema_2020_12_tool":
      return text(`received ${JSON.stringify(args)}`);
    default:
      return { isError: true, content: [{ type: "text", text: `unknown tool ${request.params.name}` }] };
  }
});

const resources = [
  { uri: "test://static-text", name: "static-text", mimeType: "text/plain" },
  { uri: "test://static-binary", name: "static-binary", mimeType: "image/png" },
  { uri: "test://watched-resource", name: "watched-resource", mimeType: "text/plain" },
];
server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources }));
server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
  resourceTemplates: [{ uriTemplate: "test://template/{id}/data", name: "template-data", mimeType: "application/json" }],
}));
server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
  const uri = request.params.uri;
  if (uri === "test://static-text" || uri === "test://watched-resource") {
    return { contents: [{ uri, mimeType: "text/plain", text: "This is the content of the static text resource." }] };
  }
  if (uri === "test://static-binary") {
    return { contents: [{ uri, mimeType: "image/png", blob: png }] };
  }
  const match = /^test:\/\/template\/([^/]+)\/data$/.exec(uri);
  if (match) {
    return { contents: [{ uri, mimeType: "application/json", text: JSON.stringify({ id: match[1], templateTest: true, data: `Data for ID: ${match[1]}` }) }] };
  }
  throw new Error(`Resource not found: ${uri}`);
});
server.setRequestHandler(SubscribeRequestSchema, async () => ({}));
server.setRequestHandler(UnsubscribeRequestSchema, async () => ({}));

server.setRequestHandler(ListPromptsRequestSchema, async () => ({
  prompts: [
    { name: "test_simple_prompt", description: "A simple prompt" },
    { name: "test_prompt_with_arguments", description: "A prompt with arguments", arguments: [{ name: "arg1", description: "First test argument", required: true }, { name: "arg2", description: "Second test argument", required: true }] },
    { name: "test_prompt_with_embedded_resource", description: "A prompt with a resource", arguments: [{ name: "resourceUri", description: "URI of the resource to embed", required: true }] },
    { name: "test_prompt_with_image", description: "A prompt with an image" },
  ],
}));
server.setRequestHandler(GetPromptRequestSchema, async (request) => {
  const args = request.params.arguments ?? {};
  const user = (content) => ({ role: "user", content });
  switch (request.params.name) {
    case "test_simple_prompt":
      return { messages: [user({ type: "text", text: "This is a simple prompt for testing." })] };
    case "test_prompt_with_arguments":
      return { messages: [user({ type: "text", text: `Prompt with arguments: arg1='${args.arg1}', arg2='${args.arg2}'` })] };
    case "test_prompt_with_embedded_resource":
      return {
        messages: [
          user({ type: "resource", resource: { uri: String(args.resourceUri), mimeType: "text/plain", text: "Embedded resource content for testing." } }),
          user({ type: "text", text: "Please process the embedded resource above." }),
        ],
      };
    case "test_prompt_with_image":
      return { messages: [user({ type: "image", data: png, mimeType: "image/png" }), user({ type: "text", text: "Please analyze the image above." })] };
    default:
      throw new Error(`Prompt not found: ${request.params.name}`);
  }
});

await server.connect(new StdioServerTransport());
console.error("conformance fixture: serving on stdio");
