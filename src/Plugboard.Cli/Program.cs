using Plugboard.Cli.Commands;

return await CliApp.RunAsync(args);
