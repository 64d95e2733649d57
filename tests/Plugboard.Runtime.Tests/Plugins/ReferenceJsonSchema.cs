using System.Diagnostics;
using System.Text.Json;

namespace Plugboard.Runtime.Tests.Plugins;

/// <summary>
/// Asks an independent JSON Schema implementation (Python's jsonschema, Draft 2020-12) whether instances are valid,
/// so our validator and our published schema are checked against a real peer. It runs Debian's /usr/bin/python3 with
/// the python3-jsonschema package (scripts/test.sh installs it) and fails loudly when that is missing.
/// </summary>
internal static class ReferenceJsonSchema
{
    private const string Script = """
        import json, sys
        from jsonschema import Draft202012Validator
        cases = json.load(sys.stdin)
        print(json.dumps([Draft202012Validator(json.loads(s)).is_valid(json.loads(i)) for s, i in cases]))
        """;

    private const string Missing = "Python's jsonschema package is not installed for /usr/bin/python3; run `bash scripts/test.sh`, which installs Debian's python3-jsonschema.";

    public static bool[] Evaluate(IReadOnlyList<(string Schema, string Instance)> cases)
    {
        var input = JsonSerializer.Serialize(cases.Select(c => new[] { c.Schema, c.Instance }).ToArray());
        var start = new ProcessStartInfo(File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException(Missing, ex);
        }

        using (process)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
            var stdoutTask = process.StandardOutput.ReadToEndAsync();
            var stderrTask = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("python3 jsonschema did not answer within 60 s.");
            }

            var stdout = stdoutTask.GetAwaiter().GetResult();
            var stderr = stderrTask.GetAwaiter().GetResult();
            if (process.ExitCode != 0)
            {
                if (stderr.Contains("No module named 'jsonschema'", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException(Missing);
                }

                throw new InvalidOperationException("python3 jsonschema failed: " + stderr);
            }

            return JsonSerializer.Deserialize<bool[]>(stdout)!;
        }
    }
}
