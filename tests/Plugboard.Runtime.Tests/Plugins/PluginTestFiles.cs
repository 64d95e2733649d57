using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;

namespace Plugboard.Runtime.Tests.Plugins;

/// <summary>A temporary folder deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "plugboard-plugin-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

/// <summary>Valid manifests of each shape, and helpers to break them.</summary>
internal static class Manifests
{
    public const string Minimal = """
        {
          "id": "acme.minimal",
          "version": "0.1.0",
          "displayName": "Minimal",
          "execution": { "command": "node", "args": ["index.js"] }
        }
        """;

    public const string Full = """
        {
          "$schema": "../docs/schemas/plugin.schema.json",
          "id": "acme.weather",
          "version": "1.4.0-beta.2+sha.5114f85",
          "displayName": "Weather",
          "description": "Forecasts and alerts.",
          "author": "Acme",
          "homepage": "https://example.com/weather",
          "icon": "assets/icon.svg",
          "minProtocolVersion": "1.0",
          "components": {
            "listeners": [
              { "events": ["message.received", "group.*"], "priority": 10 },
              { "events": ["*"] }
            ],
            "tools": [
              {
                "name": "get_forecast",
                "description": "Weather forecast for a city.",
                "parameters": {
                  "type": "object",
                  "properties": {
                    "city": { "type": "string", "minLength": 1 },
                    "days": { "type": "integer", "minimum": 1, "maximum": 14, "default": 3 }
                  },
                  "required": ["city"],
                  "additionalProperties": false
                },
                "result": { "type": "object", "properties": { "summary": { "type": "string" } } }
              },
              {
                "name": "alerts",
                "description": "Active weather alerts.",
                "parameters": { "type": "object", "properties": { "region": { "$ref": "#/$defs/region" } }, "$defs": { "region": { "enum": ["north", "south"] } } }
              }
            ],
            "commands": [
              { "name": "weather", "aliases": ["w", "天气"], "usage": "weather <city> [days]", "description": "Show the forecast." }
            ],
            "adapters": [
              {
                "platform": "acmechat",
                "displayName": "Acme Chat",
                "description": "Acme's chat service.",
                "config": [
                  { "name": "appId", "type": "string", "required": true },
                  { "name": "appSecret", "type": "secret", "required": true }
                ],
                "events": ["message.received", "message.deleted", "platform.acmechat.pinned"],
                "apis": ["editMessage", "callPlatformApi"],
                "actions": [
                  { "name": "pin_message", "description": "Pin a message.", "parameters": { "type": "object", "properties": { "messageId": { "type": "string" } }, "required": ["messageId"] } }
                ]
              }
            ]
          },
          "config": [
            { "name": "apiKey", "type": "secret", "required": true, "description": "Provider API key." },
            { "name": "units", "type": "enum", "values": ["metric", "imperial"], "default": "metric" },
            { "name": "days", "type": "int", "default": 3 },
            { "name": "verbose", "type": "bool", "default": false },
            { "name": "cities", "type": "list", "itemType": "string", "default": ["Berlin"] },
            { "name": "greeting", "type": "string", "displayName": "Greeting", "default": "hi" }
          ],
          "execution": {
            "command": "bin/weather",
            "args": ["--stdio"],
            "env": { "WEATHER_MODE": "plugin" },
            "workingDirectory": "bin"
          },
          "x-vendor": { "anything": true }
        }
        """;

    public const string Dotnet = """
        {
          "id": "acme.dotnet",
          "version": "2.0.0",
          "displayName": "Dotnet plugin",
          "execution": { "dotnet": "bin/Acme.Dotnet.dll", "args": ["--verbose"], "env": { "DOTNET_ENVIRONMENT": "Production" } }
        }
        """;

    public static readonly string[] ValidShapes = [Minimal, Full, Dotnet];

    public static string Mutate(string json, Action<JsonObject> change)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        change(node);
        return node.ToJsonString();
    }

    public static string WithVersion(string id, string version) => Mutate(Minimal, m =>
    {
        m["id"] = id;
        m["version"] = version;
    });
}

/// <summary>Builds plugin folders and zip packages on disk.</summary>
internal static class PluginPackages
{
    public static string CreateFolder(string root, string manifestJson, IDictionary<string, string>? files = null)
    {
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "plugin.json"), manifestJson);
        File.WriteAllText(Path.Combine(root, "index.js"), "console.log('hello');\n");
        foreach (var (name, content) in files ?? new Dictionary<string, string>())
        {
            var path = Path.Combine(root, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
        }

        return root;
    }

    public static string CreateZip(string path, string manifestJson, string prefix = "")
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        AddText(zip, prefix + "plugin.json", manifestJson);
        AddText(zip, prefix + "index.js", "console.log('hello');\n");
        return path;
    }

    public static ZipArchiveEntry AddText(ZipArchive zip, string name, string content, int unixMode = 0b110_100_100 | 0x8000)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        entry.ExternalAttributes = unixMode << 16;
        using var stream = entry.Open();
        stream.Write(Encoding.UTF8.GetBytes(content));
        return entry;
    }

    /// <summary>Writes <paramref name="size"/> bytes of <paramref name="value"/> into a new entry.</summary>
    public static void AddFilled(ZipArchive zip, string name, long size, byte value = 0, CompressionLevel level = CompressionLevel.Fastest)
    {
        var entry = zip.CreateEntry(name, level);
        using var stream = entry.Open();
        var chunk = new byte[1024 * 1024];
        Array.Fill(chunk, value);
        for (long written = 0; written < size; written += chunk.Length)
        {
            stream.Write(chunk, 0, (int)Math.Min(chunk.Length, size - written));
        }
    }

    /// <summary>Adds an entry of incompressible bytes.</summary>
    public static void AddRandom(ZipArchive zip, string name, int size)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.NoCompression);
        using var stream = entry.Open();
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        stream.Write(bytes);
    }

    /// <summary>Rewrites the uncompressed size an entry declares, in both its local and its central directory header.</summary>
    public static void PatchDeclaredSize(string zipPath, string entryName, uint declaredSize)
    {
        var bytes = File.ReadAllBytes(zipPath);
        var name = Encoding.UTF8.GetBytes(entryName);
        var patched = 0;
        for (var i = 0; i + 46 < bytes.Length; i++)
        {
            var signature = BitConverter.ToUInt32(bytes, i);
            if (signature == 0x04034b50 && NameAt(bytes, i + 30, BitConverter.ToUInt16(bytes, i + 26), name))
            {
                BitConverter.GetBytes(declaredSize).CopyTo(bytes, i + 22);
                patched++;
            }
            else if (signature == 0x02014b50 && NameAt(bytes, i + 46, BitConverter.ToUInt16(bytes, i + 28), name))
            {
                BitConverter.GetBytes(declaredSize).CopyTo(bytes, i + 24);
                patched++;
            }
        }

        Assert.Equal(2, patched);
        File.WriteAllBytes(zipPath, bytes);
    }

    private static bool NameAt(byte[] bytes, int offset, int length, byte[] name)
        => length == name.Length && offset + length <= bytes.Length && bytes.AsSpan(offset, length).SequenceEqual(name);
}
