// The Box runs on Linux only (namespaces, cgroups, the Docker socket).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
