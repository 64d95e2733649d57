using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Plugboard.Runtime.Plugins;

namespace Plugboard.Runtime.Tests.Plugins;

public sealed class ManifestLoaderTests
{
    public static TheoryData<string> ValidShapes => new(Manifests.ValidShapes);

    [Theory]
    [MemberData(nameof(ValidShapes))]
    public void Parse_ValidShape_RoundTripsThroughSerialize(string json)
    {
        var manifest = ManifestLoader.Parse(json);
        var serialized = ManifestLoader.Serialize(manifest);
        var again = ManifestLoader.Parse(serialized);

        Assert.Equal(serialized, ManifestLoader.Serialize(again));
        Assert.Equal(manifest.Id, again.Id);
        Assert.Equal(manifest.Version, again.Version);
        Assert.Equal(manifest.Execution.Kind, again.Execution.Kind);
    }

    [Fact]
    public void Parse_FullManifest_ReadsEveryField()
    {
        var manifest = ManifestLoader.Parse(Manifests.Full);

        Assert.Equal("acme.weather", manifest.Id);
        Assert.Equal(SemanticVersion.Parse("1.4.0-beta.2"), manifest.Version);
        Assert.Equal("sha.5114f85", manifest.Version.BuildMetadata);
        Assert.Equal("Weather", manifest.DisplayName);
        Assert.Equal("https://example.com/weather", manifest.Homepage);
        Assert.Equal("assets/icon.svg", manifest.Icon);
        Assert.Equal("1.0", manifest.MinProtocolVersion);

        Assert.Equal(["message.received", "group.*"], manifest.Components.Listeners[0].Events);
        Assert.Equal(10, manifest.Components.Listeners[0].Priority);
        Assert.Equal(0, manifest.Components.Listeners[1].Priority);

        var tool = manifest.Components.Tools[0];
        Assert.Equal("get_forecast", tool.Name);
        Assert.Equal("object", tool.Parameters.GetProperty("type").GetString());
        Assert.NotNull(tool.Result);
        Assert.Null(manifest.Components.Tools[1].Result);

        var command = Assert.Single(manifest.Components.Commands);
        Assert.Equal(["w", "天气"], command.Aliases);
        Assert.Equal("weather <city> [days]", command.Usage);

        var adapter = Assert.Single(manifest.Components.Adapters);
        Assert.Equal("acmechat", adapter.Platform);
        Assert.Equal(ConfigFieldType.Secret, adapter.Config[1].Type);
        Assert.Contains("platform.acmechat.pinned", adapter.Events);
        Assert.Equal(["editMessage", "callPlatformApi"], adapter.Apis);
        Assert.Equal("pin_message", Assert.Single(adapter.Actions).Name);

        Assert.Equal(6, manifest.Config.Count);
        Assert.Equal(ConfigFieldType.Enum, manifest.Config[1].Type);
        Assert.Equal(["metric", "imperial"], manifest.Config[1].Values);
        Assert.Equal(ConfigFieldType.String, manifest.Config[4].ItemType);
        Assert.Equal(3, manifest.Config[2].Default!.Value.GetInt32());
        Assert.True(manifest.Config[0].Required);

        Assert.Equal(PluginExecutionKind.Command, manifest.Execution.Kind);
        Assert.Equal("bin/weather", manifest.Execution.Command);
        Assert.Equal(["--stdio"], manifest.Execution.Args);
        Assert.Equal("plugin", manifest.Execution.Env["WEATHER_MODE"]);
        Assert.Equal("bin", manifest.Execution.WorkingDirectory);
    }

    [Fact]
    public void Serialize_ConfigFieldTypes_AreLowercase()
    {
        var json = ManifestLoader.Serialize(ManifestLoader.Parse(Manifests.Full));

        Assert.Contains("\"type\": \"secret\"", json, StringComparison.Ordinal);
        Assert.Contains("\"itemType\": \"string\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"kind\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Execution_DotnetForm_ResolvesHostAndAssemblyPath()
    {
        var manifest = ManifestLoader.Parse(Manifests.Dotnet);
        var folder = Path.Combine(Path.GetTempPath(), "acme.dotnet");

        Assert.Equal(PluginExecutionKind.Dotnet, manifest.Execution.Kind);
        Assert.Equal("dotnet", manifest.Execution.GetProgram(folder));
        Assert.Equal([Path.Combine(folder, "bin", "Acme.Dotnet.dll"), "--verbose"], manifest.Execution.GetArguments(folder));
        Assert.Equal(Path.GetFullPath(folder), manifest.Execution.GetWorkingDirectory(folder));
    }

    [Fact]
    public void Execution_CommandForm_ResolvesRelativeProgramAndWorkingDirectory()
    {
        var manifest = ManifestLoader.Parse(Manifests.Full);
        var folder = Path.Combine(Path.GetTempPath(), "acme.weather");

        Assert.Equal(Path.Combine(folder, "bin", "weather"), manifest.Execution.GetProgram(folder));
        Assert.Equal(Path.Combine(folder, "bin"), manifest.Execution.GetWorkingDirectory(folder));
        Assert.Equal("node", ManifestLoader.Parse(Manifests.Minimal).Execution.GetProgram(folder));
    }

    public static TheoryData<string, string, string> BadManifests => new()
    {
        { Manifests.Mutate(Manifests.Minimal, m => m["version"] = "1.0"), "$.version", "\"1.0\" is not a semantic version (expected MAJOR.MINOR.PATCH, e.g. 1.0.0)" },
        { Manifests.Mutate(Manifests.Minimal, m => m["version"] = "01.0.0"), "$.version", "leading zero" },
        { Manifests.Mutate(Manifests.Minimal, m => m["id"] = "Acme_Weather"), "$.id", "is not a valid plugin id" },
        { Manifests.Mutate(Manifests.Minimal, m => m["id"] = "weather"), "$.id", "at least two segments" },
        { Manifests.Mutate(Manifests.Minimal, m => m.Remove("displayName")), "$.displayName", "required property is missing" },
        { Manifests.Mutate(Manifests.Minimal, m => m["displayName"] = 42), "$.displayName", "expected a string (got number)" },
        { Manifests.Mutate(Manifests.Minimal, m => m["dispalyName"] = "x"), "$.dispalyName", "did you mean \"displayName\"" },
        { Manifests.Mutate(Manifests.Minimal, m => m["homepage"] = "ftp://example.com"), "$.homepage", "not an absolute http or https URL" },
        { Manifests.Mutate(Manifests.Minimal, m => m["icon"] = "../icon.png"), "$.icon", "escapes the plugin folder" },
        { Manifests.Mutate(Manifests.Minimal, m => m["minProtocolVersion"] = "1"), "$.minProtocolVersion", "expected MAJOR.MINOR" },
        { Manifests.Mutate(Manifests.Full, m => m["components"]!["tools"]![1]!["parameters"] = "string"), "$.components.tools[1].parameters", "expected a JSON Schema object (got string)" },
        { Manifests.Mutate(Manifests.Full, m => m["components"]!["tools"]![1]!["name"] = "get_forecast"), "$.components.tools[1].name", "duplicate tool name \"get_forecast\" (already used at $.components.tools[0].name)" },
        { Manifests.Mutate(Manifests.Full, m => m["components"]!["tools"]![0]!["parameters"]!["properties"]!["city"]!["type"] = "strin"), "$.components.tools[0].parameters.properties.city.type", "\"strin\" is not a JSON Schema type" },
        { Manifests.Mutate(Manifests.Full, m => m["components"]!["tools"]![0]!["parameters"]!["properties"]!["days"]!["minimum"] = "one"), "$.components.tools[0].parameters.properties.days.minimum", "expected a number" },
        { Manifests.Mutate(Manifests.Full, m => m["components"]!["tools"]![1]!["parameters"]!["properties"]!["region"]!["$ref"] = "#/$defs/missing"), "$.components.tools[1].parameters.properties.region.$ref", "cannot resolve" },
        { Manifests.Mutate(Manifests.Full, m => m["components"]!["tools"]![1]!["parameters"]!["properties"]!["region"]!["$ref"] = "https://example.com/region.json"), "$.components.tools[1].parameters.properties.region.$ref", "only references inside this schema" },
        { Manifests.Mutate(Manifests.Full, m => m["components"]!["tools"]![0]!["parameters"]!["type"] = "string"), "$.components.tools[0].parameters.type", "tool arguments are always a JSON object" },
        { Manifests.Mutate(Manifests.Full, m => m["components"]!["tools"]![0]!["description"] = ""), "$.components.tools[0].description", "must not be empty" },
        { Manifests.Mutate(Manifests.Full, m => m["components"]!["tools"]![0]!["name"] = "get forecast"), "$.components.tools[0].name", "not a valid tool name" },
        { Manifests.Mutate(Manifests.Full, m => m["components"]!["commands"]!.AsArray().Add(JsonNode.Parse("""{"name": "forecast", "aliases": ["W"]}"""))), "$.components.commands[1].aliases[0]", "duplicate command name or alias \"W\"" },
        { Manifests.Mutate(Manifests.Full, m => m["components"]!["listeners"]![0]!["events"]![0] = "message.*.x"), "$.components.listeners[0].events[0]", "is not an event pattern" },
        { Manifests.Mutate(Manifests.Full, m => m["components"]!["listeners"]![0]!["events"] = new JsonArray()), "$.components.listeners[0].events", "must not be empty" },
        { Manifests.Mutate(Manifests.Full, m => m["components"]!["listeners"]![0]!["priority"] = 1.5), "$.components.listeners[0].priority", "expected a whole number" },
        { Manifests.Mutate(Manifests.Full, m => m["components"]!["adapters"]![0]!["events"]![1] = "message.*"), "$.components.adapters[0].events[1]", "patterns with * are for listeners" },
        { Manifests.Mutate(Manifests.Full, m => m["components"]!["adapters"]![0]!["apis"]![1] = "editMessage"), "$.components.adapters[0].apis[1]", "duplicate entry" },
        { Manifests.Mutate(Manifests.Full, m => m["components"]!["adapters"]![0]!["actions"]![0]!["parameters"] = new JsonArray()), "$.components.adapters[0].actions[0].parameters", "expected a JSON Schema object (got array)" },
        { Manifests.Mutate(Manifests.Full, m => m["components"]!["adapters"]![0]!["config"]![1]!["default"] = "s3cret"), "$.components.adapters[0].config[1].default", "a secret must not have a default" },
        { Manifests.Mutate(Manifests.Full, m => m["components"]!["widgets"] = new JsonArray()), "$.components.widgets", "unknown property" },
        { Manifests.Mutate(Manifests.Full, m => m["config"]![2]!["default"] = "three"), "$.config[2].default", "the default does not match the field type int: expected a whole number (got string \"three\")" },
        { Manifests.Mutate(Manifests.Full, m => m["config"]![1]!["default"] = "kelvin"), "$.config[1].default", "the default \"kelvin\" is not one of the values (metric, imperial)" },
        { Manifests.Mutate(Manifests.Full, m => m["config"]![1]!.AsObject().Remove("values")), "$.config[1].values", "an enum field lists its allowed values" },
        { Manifests.Mutate(Manifests.Full, m => m["config"]![3]!["values"] = new JsonArray("a")), "$.config[3].values", "only enum fields have values" },
        { Manifests.Mutate(Manifests.Full, m => m["config"]![4]!["default"] = new JsonArray("Berlin", 7)), "$.config[4].default[1]", "the default does not match the field type list: expected a string (got 7)" },
        { Manifests.Mutate(Manifests.Full, m => m["config"]![4]!["itemType"] = "enum"), "$.config[4].itemType", "is not a list item type" },
        { Manifests.Mutate(Manifests.Full, m => m["config"]![5]!["name"] = "APIKEY"), "$.config[5].name", "duplicate field name \"APIKEY\"" },
        { Manifests.Mutate(Manifests.Full, m => m["config"]![5]!["type"] = "text"), "$.config[5].type", "is not a configuration field type" },
        { Manifests.Mutate(Manifests.Full, m => m["execution"]!["workingDirectory"] = "../outside"), "$.execution.workingDirectory", "\"../outside\" escapes the plugin folder" },
        { Manifests.Mutate(Manifests.Full, m => m["execution"]!["workingDirectory"] = "bin/../../x"), "$.execution.workingDirectory", "escapes the plugin folder" },
        { Manifests.Mutate(Manifests.Full, m => m["execution"]!["workingDirectory"] = "/tmp"), "$.execution.workingDirectory", "is an absolute path" },
        { Manifests.Mutate(Manifests.Full, m => m["execution"]!["workingDirectory"] = "C:\\plugins"), "$.execution.workingDirectory", "is an absolute path" },
        { Manifests.Mutate(Manifests.Full, m => m["execution"]!["command"] = "../bin/weather"), "$.execution.command", "escapes the plugin folder" },
        { Manifests.Mutate(Manifests.Full, m => m["execution"]!["dotnet"] = "bin/Weather.dll"), "$.execution", "not both" },
        { Manifests.Mutate(Manifests.Full, m => m["execution"]!["env"]!["1BAD"] = "x"), "$.execution.env['1BAD']", "not a valid environment variable name" },
        { Manifests.Mutate(Manifests.Full, m => m["execution"]!["args"]![0] = 5), "$.execution.args[0]", "expected a string (got number)" },
        { Manifests.Mutate(Manifests.Minimal, m => m["execution"] = new JsonObject { ["args"] = new JsonArray() }), "$.execution", "expected \"command\"" },
        { Manifests.Mutate(Manifests.Minimal, m => m.Remove("execution")), "$.execution", "required property is missing" },
        { Manifests.Mutate(Manifests.Dotnet, m => m["execution"]!["dotnet"] = "bin/Acme.Dotnet.exe"), "$.execution.dotnet", "is not a .dll" },
        { Manifests.Mutate(Manifests.Dotnet, m => m["execution"]!["dotnet"] = "/opt/Acme.dll"), "$.execution.dotnet", "is an absolute path" },
        { "[1, 2]", "$", "expected a JSON object (got array)" },
        { """{"id": "a.b", "id": "a.c", "version": "1.0.0", "displayName": "x", "execution": {"command": "x"}}""", "$.id", "appears more than once" },
    };

    [Theory]
    [MemberData(nameof(BadManifests))]
    public void TryParse_BadManifest_ReportsPathAndExpectation(string json, string path, string message)
    {
        var ok = ManifestLoader.TryParse(Encoding.UTF8.GetBytes(json), out var manifest, out var errors);

        Assert.False(ok);
        Assert.Null(manifest);
        Assert.Contains(errors, e => e.Path == path && e.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_SeveralProblems_ReportsAllAtOnce()
    {
        var json = Manifests.Mutate(Manifests.Full, m =>
        {
            m["version"] = "1.0";
            m["components"]!["tools"]![1]!["parameters"] = "string";
            m["execution"]!["workingDirectory"] = "../up";
            m["config"]![1]!["default"] = "kelvin";
            m["unknownThing"] = true;
        });

        var ex = Assert.Throws<ManifestValidationException>(() => ManifestLoader.Parse(json, "plugins/weather/plugin.json"));

        Assert.Equal(
            ["$.components.tools[1].parameters", "$.config[1].default", "$.execution.workingDirectory", "$.unknownThing", "$.version"],
            ex.Errors.Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.Contains("plugins/weather/plugin.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("$.components.tools[1].parameters: expected a JSON Schema object (got string)", ex.Message, StringComparison.Ordinal);
        Assert.Equal("plugins/weather/plugin.json", ex.SourceName);
    }

    [Fact]
    public void Parse_MalformedJson_ReportsLineAndBytePosition()
    {
        var json = "{\n  \"id\": \"acme.x\",\n  \"version\": ,\n}";

        var ex = Assert.Throws<ManifestValidationException>(() => ManifestLoader.Parse(json));

        var error = Assert.Single(ex.Errors);
        Assert.Equal("$", error.Path);
        Assert.StartsWith("malformed JSON at line 3, byte 14:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TrailingComma_IsMalformed()
    {
        var ex = Assert.Throws<ManifestValidationException>(() => ManifestLoader.Parse("{\"id\": \"a.b\",}"));

        Assert.Contains("line 1", Assert.Single(ex.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Utf8ByteOrderMark_IsAccepted()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(Manifests.Minimal)).ToArray();

        Assert.Equal("acme.minimal", ManifestLoader.Parse(bytes).Id);
    }

    [Fact]
    public void Parse_OversizedManifest_IsRejected()
    {
        var json = Manifests.Mutate(Manifests.Minimal, m => m["description"] = new string('x', ManifestLoader.MaxManifestBytes));

        var ex = Assert.Throws<ManifestValidationException>(() => ManifestLoader.Parse(json));

        Assert.Contains("at most", Assert.Single(ex.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFromDirectory_MissingReferencedFiles_ReportsEachFile()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.Combine("plugin.json"), Manifests.Full);

        var ex = Assert.Throws<ManifestValidationException>(() => ManifestLoader.LoadFromDirectory(temp.Path));

        Assert.Equal(["$.execution.command", "$.execution.workingDirectory", "$.icon"], ex.Errors.Select(e => e.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void LoadFromDirectory_DotnetAssemblyMissing_SaysToBuildFirst()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.Combine("plugin.json"), Manifests.Dotnet);

        var ex = Assert.Throws<ManifestValidationException>(() => ManifestLoader.LoadFromDirectory(temp.Path));

        var error = Assert.Single(ex.Errors);
        Assert.Equal("$.execution.dotnet", error.Path);
        Assert.Contains("build the plugin first", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFromDirectory_AllFilesPresent_Loads()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.Combine("plugin.json"), Manifests.Full);
        Directory.CreateDirectory(temp.Combine("bin"));
        Directory.CreateDirectory(temp.Combine("assets"));
        File.WriteAllText(temp.Combine("bin", "weather"), "#!/bin/sh\n");
        File.WriteAllText(temp.Combine("assets", "icon.svg"), "<svg/>");

        Assert.Equal("acme.weather", ManifestLoader.LoadFromDirectory(temp.Path).Id);
    }

    [Fact]
    public void PluginManifestSchema_IsEmbeddedAndMatchesDocsFile()
    {
        var docs = Path.Combine(RepositoryRoot(), "docs", "schemas", "plugin.schema.json");

        Assert.Equal(File.ReadAllText(docs), PluginManifestSchema.Text);
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", JsonDocument.Parse(PluginManifestSchema.Text).RootElement.GetProperty("$schema").GetString());
        Assert.Empty(JsonSchemaValidator.CheckSchema(JsonDocument.Parse(PluginManifestSchema.Text).RootElement));
    }

    [Fact]
    public void PluginManifestSchema_ValidShapes_PassTheSchemaInTheReferenceImplementation()
    {
        // The published schema must accept every valid manifest and reject structurally bad ones in an independent
        // JSON Schema implementation too (Python jsonschema, Draft 2020-12), not only in ours.
        var cases = Manifests.ValidShapes.Select(json => (Instance: json, Valid: true))
            .Concat(BadStructuralManifests().Select(json => (Instance: json, Valid: false)))
            .ToList();

        var reference = ReferenceJsonSchema.Evaluate(cases.Select(c => (PluginManifestSchema.Text, c.Instance)).ToList());

        for (var i = 0; i < cases.Count; i++)
        {
            Assert.True(cases[i].Valid == reference[i], $"The reference implementation says {(reference[i] ? "valid" : "invalid")} for: {cases[i].Instance}");
        }
    }

    private static IEnumerable<string> BadStructuralManifests()
    {
        yield return Manifests.Mutate(Manifests.Minimal, m => m["version"] = "1.0");
        yield return Manifests.Mutate(Manifests.Minimal, m => m["id"] = "Acme");
        yield return Manifests.Mutate(Manifests.Minimal, m => m["dispalyName"] = "x");
        yield return Manifests.Mutate(Manifests.Full, m => m["components"]!["tools"]![1]!["parameters"] = "string");
        yield return Manifests.Mutate(Manifests.Full, m => m["components"]!["tools"]![0]!["parameters"]!["type"] = "string");
        yield return Manifests.Mutate(Manifests.Full, m => m["config"]![1]!.AsObject().Remove("values"));
        yield return Manifests.Mutate(Manifests.Full, m => m["config"]![2]!["default"] = "three");
        yield return Manifests.Mutate(Manifests.Full, m => m["execution"]!["dotnet"] = "bin/Weather.dll");
        yield return Manifests.Mutate(Manifests.Minimal, m => m.Remove("execution"));
        yield return Manifests.Mutate(Manifests.Full, m => m["execution"]!["workingDirectory"] = "/tmp");
    }

    internal static string RepositoryRoot([CallerFilePath] string sourceFile = "")
    {
        // Build output may live outside the work tree (PLUGBOARD_ARTIFACTS), so start from this source file.
        var directory = new DirectoryInfo(Path.GetDirectoryName(sourceFile)!);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Runtime.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"No Runtime.sln above {sourceFile}.");
    }
}
