namespace Plugboard.Cli.Tests.Infrastructure;

/// <summary>Copies test plugins into a test's own folder.</summary>
internal static class PluginFolders
{
    /// <summary>Copies the Python test plugin to <c>root/py-hello</c> (with <paramref name="greeting"/> in its environment) and returns the folder.</summary>
    public static string CopyPythonPlugin(string root, string? greeting = null, string folderName = "py-hello")
    {
        var target = Path.Combine(root, folderName);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(CliPaths.TestPlugin("py-hello")))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }

        if (greeting is not null)
        {
            var manifest = Path.Combine(target, "plugin.json");
            File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"args\": [\"plugin.py\"]", $"\"args\": [\"plugin.py\"], \"env\": {{ \"GREETING\": \"{greeting}\" }}", StringComparison.Ordinal));
        }

        return target;
    }
}
