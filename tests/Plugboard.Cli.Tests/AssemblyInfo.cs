using System.Runtime.Versioning;

// The end-to-end tests use POSIX tools (kill, python3) and Unix file modes.
[assembly: SupportedOSPlatform("linux")]
