using System.ComponentModel;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;

namespace Plugboard.Sdk.Schema;

/// <summary>
/// Generates a tool's parameter JSON Schema from its C# argument type with <see cref="JsonSchemaExporter"/>, using the
/// app's serializer options (so property names, required members and nullability match how arguments are read).
/// <see cref="DescriptionAttribute"/> on the type, its properties or its constructor parameters becomes <c>description</c>.
/// </summary>
internal static class ToolSchemaGenerator
{
    private static readonly JsonSchemaExporterOptions ExporterOptions = new()
    {
        TreatNullObliviousAsNonNullable = true,
        TransformSchemaNode = AddDescription,
    };

    /// <summary>Generates the schema of <paramref name="argumentsType"/>; the root is always an object schema.</summary>
    public static JsonElement Generate(Type argumentsType, JsonSerializerOptions options)
    {
        var node = options.GetJsonSchemaAsNode(argumentsType, ExporterOptions);
        if (node is not JsonObject root || !IsObjectSchema(root))
        {
            throw new InvalidOperationException(
                $"The arguments type {argumentsType.FullName} of a tool must serialize as a JSON object (a class or record with properties); its schema is {node.ToJsonString()}.");
        }

        return JsonSerializer.SerializeToElement(root, SchemaJsonContext.Default.JsonObject);
    }

    private static bool IsObjectSchema(JsonObject schema)
        => schema.TryGetPropertyValue("type", out var type) && type switch
        {
            JsonValue value => value.GetValueKind() == JsonValueKind.String && value.GetValue<string>() == "object",
            JsonArray array => array.Any(t => t?.GetValue<string>() == "object"),
            _ => false,
        };

    private static JsonNode AddDescription(JsonSchemaExporterContext context, JsonNode schema)
    {
        if (schema is not JsonObject obj || obj.ContainsKey("description"))
        {
            return schema;
        }

        var description = context.PropertyInfo is { } property
            ? Describe(property.AttributeProvider) ?? Describe(property.AssociatedParameter?.AttributeProvider)
            : context.Path.IsEmpty ? Describe(context.TypeInfo.Type) : null;
        if (description is not null)
        {
            obj.Insert(0, "description", description);
        }

        return obj;
    }

    private static string? Describe(ICustomAttributeProvider? provider)
        => provider?.GetCustomAttributes(typeof(DescriptionAttribute), inherit: true) is [DescriptionAttribute { Description: { Length: > 0 } text }, ..] ? text : null;
}
