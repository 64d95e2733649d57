using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Plugboard.Runtime.Plugins;

/// <summary>
/// Walks a parsed <c>plugin.json</c> and collects every problem with its JSON path: the structure the published schema
/// describes (with messages that say what is expected) plus the rules a schema cannot express.
/// </summary>
internal sealed partial class ManifestValidator
{
    private static readonly string[] RootProperties =
        ["$schema", "id", "version", "displayName", "description", "author", "homepage", "icon", "minProtocolVersion", "components", "config", "execution"];

    private static readonly string[] ComponentProperties = ["listeners", "tools", "commands", "adapters"];
    private static readonly string[] ListenerProperties = ["events", "priority"];
    private static readonly string[] ToolProperties = ["name", "description", "parameters", "result"];
    private static readonly string[] CommandProperties = ["name", "aliases", "usage", "description"];
    private static readonly string[] AdapterProperties = ["platform", "displayName", "description", "config", "events", "apis", "actions"];
    private static readonly string[] ActionProperties = ["name", "description", "parameters", "result"];
    private static readonly string[] FieldProperties = ["name", "type", "displayName", "description", "default", "required", "values", "itemType"];
    private static readonly string[] ExecutionProperties = ["command", "dotnet", "args", "env", "workingDirectory"];

    private readonly List<ManifestError> _errors = [];

    public static List<ManifestError> Validate(JsonElement root)
    {
        var validator = new ManifestValidator();
        validator.ValidateRoot(root);
        return validator._errors;
    }

    /// <summary>
    /// Checks a path that must stay inside the plugin folder. Returns the problem, or null when the path is fine.
    /// </summary>
    public static string? CheckRelativePath(string value)
    {
        if (value.Length == 0)
        {
            return "must not be empty";
        }

        if (value.Any(char.IsControl))
        {
            return "must not contain control characters";
        }

        if (value[0] is '/' or '\\' || (value.Length >= 2 && char.IsAsciiLetter(value[0]) && value[1] == ':'))
        {
            return $"\"{value}\" is an absolute path (expected a path relative to the plugin folder, e.g. \"bin/plugin\")";
        }

        var depth = 0;
        foreach (var segment in value.Split('/', '\\'))
        {
            if (segment == "..")
            {
                depth--;
                if (depth < 0)
                {
                    return $"\"{value}\" escapes the plugin folder (expected a path inside it)";
                }
            }
            else if (segment.Length > 0 && segment != ".")
            {
                depth++;
            }
        }

        return null;
    }

    private void ValidateRoot(JsonElement root)
    {
        const string path = JsonPaths.Root;
        if (!ExpectObject(root, path, "a JSON object"))
        {
            return;
        }

        CheckProperties(root, path, RootProperties, allowExtensions: true);

        if (RequireString(root, path, "id") is { } id && !IdRegex().IsMatch(id))
        {
            Error(Prop(path, "id"), $"\"{id}\" is not a valid plugin id (expected lowercase dot-separated segments of letters, digits and '-', "
                + "at least two segments, at most 100 characters, e.g. acme.weather)");
        }

        if (RequireString(root, path, "version") is { } version && !SemanticVersion.TryParse(version, out _, out var problem))
        {
            var detail = problem == "expected MAJOR.MINOR.PATCH" ? "" : ": " + problem;
            Error(Prop(path, "version"), $"\"{version}\" is not a semantic version (expected MAJOR.MINOR.PATCH, e.g. 1.0.0){detail}");
        }

        if (RequireString(root, path, "displayName") is { } displayName)
        {
            CheckLength(displayName, Prop(path, "displayName"), 100);
        }

        if (OptionalString(root, path, "description") is { } description)
        {
            CheckLength(description, Prop(path, "description"), 4000);
        }

        if (OptionalString(root, path, "author") is { } author)
        {
            CheckLength(author, Prop(path, "author"), 200);
        }

        if (OptionalString(root, path, "homepage") is { } homepage
            && !(Uri.TryCreate(homepage, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)))
        {
            Error(Prop(path, "homepage"), $"\"{homepage}\" is not an absolute http or https URL (e.g. https://example.com/weather)");
        }

        if (OptionalString(root, path, "icon") is { } icon && CheckRelativePath(icon) is { } iconProblem)
        {
            Error(Prop(path, "icon"), iconProblem);
        }

        if (OptionalString(root, path, "minProtocolVersion") is { } protocol && !ProtocolVersionRegex().IsMatch(protocol))
        {
            Error(Prop(path, "minProtocolVersion"), $"\"{protocol}\" is not a protocol version (expected MAJOR.MINOR, e.g. 1.0)");
        }

        if (root.TryGetProperty("components", out var components))
        {
            ValidateComponents(components, Prop(path, "components"));
        }

        if (root.TryGetProperty("config", out var config))
        {
            ValidateConfigFields(config, Prop(path, "config"));
        }

        if (root.TryGetProperty("execution", out var execution))
        {
            ValidateExecution(execution, Prop(path, "execution"));
        }
        else
        {
            Error(Prop(path, "execution"), "required property is missing (expected {\"command\": ...} or {\"dotnet\": \"bin/Plugin.dll\"})");
        }
    }

    private void ValidateComponents(JsonElement components, string path)
    {
        if (!ExpectObject(components, path, "an object with listeners, tools, commands and adapters"))
        {
            return;
        }

        CheckProperties(components, path, ComponentProperties, allowExtensions: true);
        ForEachItem(components, path, "listeners", ValidateListener);

        var toolNames = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        ForEachItem(components, path, "tools", (tool, toolPath) => ValidateTool(tool, toolPath, toolNames));

        var commandNames = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        ForEachItem(components, path, "commands", (command, commandPath) => ValidateCommand(command, commandPath, commandNames));

        var platforms = new Dictionary<string, string>(StringComparer.Ordinal);
        ForEachItem(components, path, "adapters", (adapter, adapterPath) => ValidateAdapter(adapter, adapterPath, platforms));
    }

    private void ValidateListener(JsonElement listener, string path)
    {
        if (!ExpectObject(listener, path, "a listener object with \"events\" and an optional \"priority\""))
        {
            return;
        }

        CheckProperties(listener, path, ListenerProperties, allowExtensions: true);
        if (!listener.TryGetProperty("events", out var events))
        {
            Error(Prop(path, "events"), "required property is missing (expected an array of event patterns, e.g. [\"message.received\"])");
        }
        else if (ExpectNonEmptyArray(events, Prop(path, "events"), "an array of event patterns, e.g. [\"message.received\"]"))
        {
            var index = 0;
            foreach (var pattern in events.EnumerateArray())
            {
                var patternPath = JsonPaths.Index(Prop(path, "events"), index++);
                if (ExpectString(pattern, patternPath) is { } text && !EventPatternRegex().IsMatch(text))
                {
                    Error(patternPath, $"\"{text}\" is not an event pattern (expected an exact type like message.received, a prefix like message.*, or *)");
                }
            }
        }

        if (listener.TryGetProperty("priority", out var priority) && !(priority.ValueKind == JsonValueKind.Number && priority.TryGetInt32(out _)))
        {
            Error(Prop(path, "priority"), $"expected a whole number from {int.MinValue} to {int.MaxValue}; higher runs first (got {JsonSchemaCompiler.Describe(priority)})");
        }
    }

    private void ValidateTool(JsonElement tool, string path, Dictionary<string, string> names)
    {
        if (!ExpectObject(tool, path, "a tool object with name, description and parameters"))
        {
            return;
        }

        CheckProperties(tool, path, ToolProperties, allowExtensions: true);
        if (RequireString(tool, path, "name") is { } name)
        {
            if (!ToolNameRegex().IsMatch(name))
            {
                Error(Prop(path, "name"), $"\"{name}\" is not a valid tool name (expected 1 to 64 letters, digits, '_' or '-', e.g. get_forecast)");
            }
            else
            {
                CheckDuplicate(names, name, Prop(path, "name"), "tool name");
            }
        }

        if (RequireString(tool, path, "description") is { Length: 0 })
        {
            Error(Prop(path, "description"), "must not be empty (language models read it to decide when to call the tool)");
        }

        if (!tool.TryGetProperty("parameters", out var parameters))
        {
            Error(Prop(path, "parameters"), "required property is missing (expected a JSON Schema object, e.g. {\"type\": \"object\", \"properties\": {}})");
        }
        else if (ValidateSchema(parameters, Prop(path, "parameters"), objectRequired: true))
        {
            CheckObjectSchema(parameters, Prop(path, "parameters"), "tool arguments are always a JSON object");
        }

        if (tool.TryGetProperty("result", out var result))
        {
            ValidateSchema(result, Prop(path, "result"), objectRequired: false);
        }
    }

    private void ValidateCommand(JsonElement command, string path, Dictionary<string, string> names)
    {
        if (!ExpectObject(command, path, "a command object with name, aliases, usage and description"))
        {
            return;
        }

        CheckProperties(command, path, CommandProperties, allowExtensions: true);
        if (RequireString(command, path, "name") is { } name)
        {
            CheckCommandName(name, Prop(path, "name"), names);
        }

        if (command.TryGetProperty("aliases", out var aliases) && ExpectArray(aliases, Prop(path, "aliases"), "an array of alternative names"))
        {
            var index = 0;
            foreach (var alias in aliases.EnumerateArray())
            {
                var aliasPath = JsonPaths.Index(Prop(path, "aliases"), index++);
                if (ExpectString(alias, aliasPath) is { } text)
                {
                    CheckCommandName(text, aliasPath, names);
                }
            }
        }

        OptionalString(command, path, "usage");
        OptionalString(command, path, "description");
    }

    private void CheckCommandName(string name, string path, Dictionary<string, string> names)
    {
        if (!CommandNameRegex().IsMatch(name))
        {
            Error(path, $"\"{name}\" is not a valid command name (expected 1 to 64 characters without spaces, not starting with '/', e.g. weather)");
            return;
        }

        CheckDuplicate(names, name, path, "command name or alias");
    }

    private void ValidateAdapter(JsonElement adapter, string path, Dictionary<string, string> platforms)
    {
        if (!ExpectObject(adapter, path, "an adapter object with platform, config, events, apis and actions"))
        {
            return;
        }

        CheckProperties(adapter, path, AdapterProperties, allowExtensions: true);
        if (RequireString(adapter, path, "platform") is { } platform)
        {
            if (!PlatformRegex().IsMatch(platform))
            {
                Error(Prop(path, "platform"), $"\"{platform}\" is not a valid platform name (expected lowercase letters, digits, '_' or '-', starting with a letter, e.g. qqbot)");
            }
            else
            {
                CheckDuplicate(platforms, platform, Prop(path, "platform"), "adapter platform");
            }
        }

        OptionalString(adapter, path, "displayName");
        OptionalString(adapter, path, "description");
        if (adapter.TryGetProperty("config", out var config))
        {
            ValidateConfigFields(config, Prop(path, "config"));
        }

        ValidateNameList(adapter, path, "events", EventTypeRegex(),
            "an exact event type such as message.received (patterns with * are for listeners)");
        ValidateNameList(adapter, path, "apis", ApiNameRegex(),
            "an adapter API method name in camelCase, e.g. editMessage or callPlatformApi");

        var actionNames = new Dictionary<string, string>(StringComparer.Ordinal);
        ForEachItem(adapter, path, "actions", (action, actionPath) =>
        {
            if (!ExpectObject(action, actionPath, "an action object with name, description and optional parameters/result schemas"))
            {
                return;
            }

            CheckProperties(action, actionPath, ActionProperties, allowExtensions: true);
            if (RequireString(action, actionPath, "name") is { } name)
            {
                if (!ActionNameRegex().IsMatch(name))
                {
                    Error(Prop(actionPath, "name"), $"\"{name}\" is not a valid action name (expected 1 to 128 letters, digits, '_', '-', '.' or '/', e.g. pin_message)");
                }
                else
                {
                    CheckDuplicate(actionNames, name, Prop(actionPath, "name"), "action name");
                }
            }

            OptionalString(action, actionPath, "description");
            if (action.TryGetProperty("parameters", out var parameters) && ValidateSchema(parameters, Prop(actionPath, "parameters"), objectRequired: true))
            {
                CheckObjectSchema(parameters, Prop(actionPath, "parameters"), "action parameters are always a JSON object");
            }

            if (action.TryGetProperty("result", out var result))
            {
                ValidateSchema(result, Prop(actionPath, "result"), objectRequired: false);
            }
        });
    }

    private void ValidateNameList(JsonElement owner, string ownerPath, string property, Regex pattern, string expected)
    {
        if (!owner.TryGetProperty(property, out var list) || !ExpectArray(list, Prop(ownerPath, property), "an array of strings"))
        {
            return;
        }

        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            var itemPath = JsonPaths.Index(Prop(ownerPath, property), index++);
            if (ExpectString(item, itemPath) is not { } text)
            {
                continue;
            }

            if (!pattern.IsMatch(text))
            {
                Error(itemPath, $"\"{text}\" is not valid here (expected {expected})");
            }
            else
            {
                CheckDuplicate(seen, text, itemPath, "entry");
            }
        }
    }

    private void ValidateConfigFields(JsonElement fields, string path)
    {
        if (!ExpectArray(fields, path, "an array of configuration fields"))
        {
            return;
        }

        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var index = 0;
        foreach (var field in fields.EnumerateArray())
        {
            ValidateConfigField(field, JsonPaths.Index(path, index++), names);
        }
    }

    private void ValidateConfigField(JsonElement field, string path, Dictionary<string, string> names)
    {
        if (!ExpectObject(field, path, "a configuration field object with name and type"))
        {
            return;
        }

        CheckProperties(field, path, FieldProperties, allowExtensions: true);
        if (RequireString(field, path, "name") is { } name)
        {
            if (!FieldNameRegex().IsMatch(name))
            {
                Error(Prop(path, "name"), $"\"{name}\" is not a valid field name (expected a letter, then up to 63 letters, digits or '_', e.g. apiKey)");
            }
            else
            {
                CheckDuplicate(names, name, Prop(path, "name"), "field name");
            }
        }

        OptionalString(field, path, "displayName");
        OptionalString(field, path, "description");
        if (field.TryGetProperty("required", out var required) && required.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            Error(Prop(path, "required"), $"expected true or false (got {JsonSchemaCompiler.Describe(required)})");
        }

        var typeText = RequireString(field, path, "type");
        ConfigFieldType? type = typeText is null ? null : ParseFieldType(typeText);
        if (typeText is not null && type is null)
        {
            Error(Prop(path, "type"), $"\"{typeText}\" is not a configuration field type (expected one of string, secret, int, bool, enum, list)");
        }

        List<string>? values = null;
        if (field.TryGetProperty("values", out var valuesElement))
        {
            if (type is not null and not ConfigFieldType.Enum)
            {
                Error(Prop(path, "values"), $"only enum fields have values (this field's type is {typeText})");
            }
            else if (ExpectNonEmptyArray(valuesElement, Prop(path, "values"), "a non-empty array of allowed strings"))
            {
                values = [];
                var seen = new Dictionary<string, string>(StringComparer.Ordinal);
                var index = 0;
                foreach (var value in valuesElement.EnumerateArray())
                {
                    var valuePath = JsonPaths.Index(Prop(path, "values"), index++);
                    if (ExpectString(value, valuePath) is { } text && CheckDuplicate(seen, text, valuePath, "value"))
                    {
                        values.Add(text);
                    }
                }
            }
        }
        else if (type == ConfigFieldType.Enum)
        {
            Error(Prop(path, "values"), "required property is missing (an enum field lists its allowed values, e.g. [\"metric\", \"imperial\"])");
        }

        var itemType = ConfigFieldType.String;
        if (field.TryGetProperty("itemType", out var itemTypeElement))
        {
            var itemTypeText = ExpectString(itemTypeElement, Prop(path, "itemType"));
            if (type is not null and not ConfigFieldType.List)
            {
                Error(Prop(path, "itemType"), $"only list fields have an item type (this field's type is {typeText})");
            }
            else if (itemTypeText is not null)
            {
                if (ParseFieldType(itemTypeText) is ConfigFieldType.String or ConfigFieldType.Int or ConfigFieldType.Bool)
                {
                    itemType = ParseFieldType(itemTypeText)!.Value;
                }
                else
                {
                    Error(Prop(path, "itemType"), $"\"{itemTypeText}\" is not a list item type (expected string, int or bool)");
                }
            }
        }

        if (field.TryGetProperty("default", out var defaultValue) && defaultValue.ValueKind != JsonValueKind.Null && type is not null)
        {
            if (type == ConfigFieldType.Secret)
            {
                Error(Prop(path, "default"), "a secret must not have a default (it would ship inside the plugin package); leave it unset and mark the field required");
            }
            else if (type != ConfigFieldType.Enum || values is not null)
            {
                var checkErrors = new List<ManifestError>();
                _ = ConfigValues.Check(type.Value, values, itemType, defaultValue, Prop(path, "default"), checkErrors, coerceStrings: false);
                foreach (var error in checkErrors)
                {
                    var message = type == ConfigFieldType.Enum
                        ? $"the default {defaultValue.GetRawText()} is not one of the values ({string.Join(", ", values!)})"
                        : $"the default does not match the field type {typeText}: {error.Message}";
                    Error(error.Path, message);
                }
            }
        }
    }

    private void ValidateExecution(JsonElement execution, string path)
    {
        if (!ExpectObject(execution, path, "an object: {\"command\": ..., \"args\": [...]} or {\"dotnet\": \"bin/Plugin.dll\"}"))
        {
            return;
        }

        CheckProperties(execution, path, ExecutionProperties, allowExtensions: true);
        var hasCommand = execution.TryGetProperty("command", out _);
        var hasDotnet = execution.TryGetProperty("dotnet", out _);
        if (hasCommand && hasDotnet)
        {
            Error(path, "set either \"command\" (a program to run) or \"dotnet\" (a .NET assembly), not both");
        }
        else if (!hasCommand && !hasDotnet)
        {
            Error(path, "expected \"command\" (a program to run, e.g. \"node\") or \"dotnet\" (a .NET assembly path, e.g. \"bin/Acme.Weather.dll\")");
        }

        if (OptionalString(execution, path, "command") is { } command)
        {
            if (command.Trim().Length == 0)
            {
                Error(Prop(path, "command"), "must not be empty (expected a program name such as node, or a path inside the plugin folder)");
            }
            else if (!Path.IsPathRooted(command) && command.IndexOfAny(['/', '\\']) >= 0 && CheckRelativePath(command) is { } commandProblem)
            {
                Error(Prop(path, "command"), commandProblem);
            }
        }

        if (OptionalString(execution, path, "dotnet") is { } assembly)
        {
            if (CheckRelativePath(assembly) is { } assemblyProblem)
            {
                Error(Prop(path, "dotnet"), assemblyProblem);
            }
            else if (!assembly.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            {
                Error(Prop(path, "dotnet"), $"\"{assembly}\" is not a .dll (expected the path of the plugin's assembly, e.g. bin/Acme.Weather.dll)");
            }
        }

        if (execution.TryGetProperty("args", out var args) && ExpectArray(args, Prop(path, "args"), "an array of strings"))
        {
            var index = 0;
            foreach (var arg in args.EnumerateArray())
            {
                ExpectString(arg, JsonPaths.Index(Prop(path, "args"), index++));
            }
        }

        if (execution.TryGetProperty("env", out var env) && ExpectObject(env, Prop(path, "env"), "an object of environment variable names to string values"))
        {
            CheckDuplicateProperties(env, Prop(path, "env"));
            foreach (var variable in env.EnumerateObject())
            {
                var variablePath = Prop(Prop(path, "env"), variable.Name);
                if (!EnvNameRegex().IsMatch(variable.Name))
                {
                    Error(variablePath, $"\"{variable.Name}\" is not a valid environment variable name (expected letters, digits and '_', not starting with a digit)");
                }

                ExpectString(variable.Value, variablePath);
            }
        }

        if (OptionalString(execution, path, "workingDirectory") is { } workingDirectory && CheckRelativePath(workingDirectory) is { } directoryProblem)
        {
            Error(Prop(path, "workingDirectory"), directoryProblem);
        }
    }

    private bool ValidateSchema(JsonElement schema, string path, bool objectRequired)
    {
        if (schema.ValueKind != JsonValueKind.Object && (objectRequired || schema.ValueKind is not (JsonValueKind.True or JsonValueKind.False)))
        {
            Error(path, $"expected a JSON Schema object (got {JsonSchemaCompiler.Kind(schema)})");
            return false;
        }

        var errors = JsonSchemaValidator.CheckSchema(schema);
        foreach (var error in errors)
        {
            var where = JsonPaths.Rebase(path, error.Path);
            Error(where, error.Message);
        }

        return errors.Count == 0;
    }

    private void CheckObjectSchema(JsonElement schema, string path, string reason)
    {
        if (!schema.TryGetProperty("type", out var type))
        {
            Error(path, $"expected \"type\": \"object\" ({reason})");
        }
        else if (!(type.ValueKind == JsonValueKind.String && type.GetString() == "object"))
        {
            Error(Prop(path, "type"), $"expected \"object\" ({reason}; got {type.GetRawText()})");
        }
    }

    private void ForEachItem(JsonElement owner, string ownerPath, string property, Action<JsonElement, string> validate)
    {
        if (!owner.TryGetProperty(property, out var list) || !ExpectArray(list, Prop(ownerPath, property), "an array"))
        {
            return;
        }

        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            validate(item, JsonPaths.Index(Prop(ownerPath, property), index++));
        }
    }

    private void CheckProperties(JsonElement obj, string path, string[] known, bool allowExtensions)
    {
        CheckDuplicateProperties(obj, path);
        foreach (var property in obj.EnumerateObject())
        {
            if (known.Contains(property.Name, StringComparer.Ordinal)
                || (allowExtensions && property.Name.StartsWith("x-", StringComparison.Ordinal)))
            {
                continue;
            }

            var suggestion = known
                .Select(k => (Name: k, Distance: EditDistance(k, property.Name)))
                .Where(c => c.Distance <= 2 || string.Equals(c.Name, property.Name, StringComparison.OrdinalIgnoreCase))
                .OrderBy(c => c.Distance)
                .Select(c => c.Name)
                .FirstOrDefault();
            Error(Prop(path, property.Name), suggestion is not null
                ? $"unknown property (did you mean \"{suggestion}\"?)"
                : $"unknown property (expected one of {string.Join(", ", known)}; extension properties start with \"x-\")");
        }
    }

    private void CheckDuplicateProperties(JsonElement obj, string path)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in obj.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                Error(Prop(path, property.Name), "the property appears more than once (keep one)");
            }
        }
    }

    private bool CheckDuplicate(Dictionary<string, string> seen, string name, string path, string what)
    {
        if (seen.TryGetValue(name, out var firstPath))
        {
            Error(path, $"duplicate {what} \"{name}\" (already used at {firstPath})");
            return false;
        }

        seen[name] = path;
        return true;
    }

    private string? RequireString(JsonElement obj, string path, string property)
    {
        if (!obj.TryGetProperty(property, out var value))
        {
            Error(Prop(path, property), "required property is missing");
            return null;
        }

        return ExpectString(value, Prop(path, property));
    }

    private string? OptionalString(JsonElement obj, string path, string property)
        => obj.TryGetProperty(property, out var value) ? ExpectString(value, Prop(path, property)) : null;

    private string? ExpectString(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString();
        }

        Error(path, $"expected a string (got {JsonSchemaCompiler.Kind(value)})");
        return null;
    }

    private bool ExpectObject(JsonElement value, string path, string expected)
    {
        if (value.ValueKind == JsonValueKind.Object)
        {
            return true;
        }

        Error(path, $"expected {expected} (got {JsonSchemaCompiler.Kind(value)})");
        return false;
    }

    private bool ExpectArray(JsonElement value, string path, string expected)
    {
        if (value.ValueKind == JsonValueKind.Array)
        {
            return true;
        }

        Error(path, $"expected {expected} (got {JsonSchemaCompiler.Kind(value)})");
        return false;
    }

    private bool ExpectNonEmptyArray(JsonElement value, string path, string expected)
    {
        if (!ExpectArray(value, path, expected))
        {
            return false;
        }

        if (value.GetArrayLength() == 0)
        {
            Error(path, $"must not be empty (expected {expected})");
            return false;
        }

        return true;
    }

    private void CheckLength(string value, string path, int max)
    {
        if (value.Trim().Length == 0)
        {
            Error(path, "must not be empty");
        }
        else if (value.Length > max)
        {
            Error(path, $"is {value.Length.ToString(CultureInfo.InvariantCulture)} characters long (at most {max} allowed)");
        }
    }

    private void Error(string path, string message) => _errors.Add(new ManifestError(path, message));

    private static string Prop(string path, string name) => JsonPaths.Property(path, name);

    private static ConfigFieldType? ParseFieldType(string text) => text switch
    {
        "string" => ConfigFieldType.String,
        "secret" => ConfigFieldType.Secret,
        "int" => ConfigFieldType.Int,
        "bool" => ConfigFieldType.Bool,
        "enum" => ConfigFieldType.Enum,
        "list" => ConfigFieldType.List,
        _ => null,
    };

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    [GeneratedRegex(ManifestLoader.IdPattern)]
    internal static partial Regex IdRegex();

    [GeneratedRegex(@"^[0-9]+\.[0-9]+$")]
    private static partial Regex ProtocolVersionRegex();

    [GeneratedRegex(@"^(\*|[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*(\.\*)?)$")]
    private static partial Regex EventPatternRegex();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$")]
    private static partial Regex EventTypeRegex();

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ToolNameRegex();

    [GeneratedRegex(@"^[^\s/]\S{0,63}$")]
    private static partial Regex CommandNameRegex();

    [GeneratedRegex(@"^[a-z][a-z0-9_-]{0,63}$")]
    private static partial Regex PlatformRegex();

    [GeneratedRegex(@"^[a-z][A-Za-z0-9]{0,63}$")]
    private static partial Regex ApiNameRegex();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_./-]{0,127}$")]
    private static partial Regex ActionNameRegex();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_]{0,63}$")]
    private static partial Regex FieldNameRegex();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvNameRegex();
}
