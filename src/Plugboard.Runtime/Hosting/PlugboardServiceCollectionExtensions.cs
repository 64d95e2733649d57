using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Plugboard.Runtime.Storage;

namespace Plugboard.Runtime.Hosting;

/// <summary>Registers the Plugboard runtime in a host's services.</summary>
public static class PlugboardServiceCollectionExtensions
{
    /// <summary>
    /// Adds the Plugboard runtime: <see cref="IPlugboardRuntime"/>, its storage, and a hosted service that starts and
    /// stops it with the host. Options are validated when the host starts; calling this again only adds configuration.
    /// </summary>
    public static IPlugboardBuilder AddPlugboard(this IServiceCollection services, Action<PlugboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var optionsBuilder = services.AddOptions<PlugboardOptions>();
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PlugboardOptions>, PlugboardOptionsValidator>());
        services.TryAddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.TryAddSingleton<IPlugboardStorage>(CreateStorage);
        services.TryAddSingleton<PlugboardRuntime>();
        services.TryAddSingleton<IPlugboardRuntime>(sp => sp.GetRequiredService<PlugboardRuntime>());
        services.TryAddSingleton<Mcp.IPlugboardMcp>(sp => sp.GetRequiredService<PlugboardRuntime>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PlugboardHostedService>());
        return new PlugboardBuilder(services);
    }

    private static IPlugboardStorage CreateStorage(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<PlugboardOptions>>().Value;
        var loggers = services.GetRequiredService<ILoggerFactory>();
        if (options.Storage == PlugboardStorageProvider.Postgres)
        {
            var dataSource = NpgsqlDataSource.Create(options.PostgresConnectionString!);
            return new PostgresStorage(dataSource, Options.Create(new PostgresStorageOptions()), loggers.CreateLogger<PostgresStorage>());
        }

        return new SqliteStorage(Options.Create(new SqliteStorageOptions { DataDirectory = options.DataDirectory }), loggers.CreateLogger<SqliteStorage>());
    }
}

/// <summary>Configures a registered Plugboard runtime.</summary>
public interface IPlugboardBuilder
{
    /// <summary>The host's services.</summary>
    IServiceCollection Services { get; }
}

/// <summary>Builder extensions in the <c>WithXyz</c> style.</summary>
public static class PlugboardBuilderExtensions
{
    /// <summary>Adds a folder scanned for plugins.</summary>
    public static IPlugboardBuilder WithPluginDirectory(this IPlugboardBuilder builder, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure<PlugboardOptions>(o => o.PluginDirectories.Add(path));
        return builder;
    }

    /// <summary>Uses the embedded SQLite storage in the data folder (the default).</summary>
    public static IPlugboardBuilder WithSqliteStorage(this IPlugboardBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure<PlugboardOptions>(o => o.Storage = PlugboardStorageProvider.Sqlite);
        return builder;
    }

    /// <summary>Uses PostgreSQL storage.</summary>
    public static IPlugboardBuilder WithPostgresStorage(this IPlugboardBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure<PlugboardOptions>(o =>
        {
            o.Storage = PlugboardStorageProvider.Postgres;
            o.PostgresConnectionString = connectionString;
        });
        return builder;
    }
}

/// <summary>The default builder.</summary>
internal sealed class PlugboardBuilder(IServiceCollection services) : IPlugboardBuilder
{
    public IServiceCollection Services { get; } = services;
}

/// <summary>Validates <see cref="PlugboardOptions"/> at startup.</summary>
internal sealed class PlugboardOptionsValidator : IValidateOptions<PlugboardOptions>
{
    public ValidateOptionsResult Validate(string? name, PlugboardOptions options)
    {
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Select(e => "Plugboard:" + e));
    }
}

/// <summary>Starts the runtime with the host and stops it gracefully with the host.</summary>
internal sealed class PlugboardHostedService(PlugboardRuntime runtime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => runtime.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => runtime.StopAsync(cancellationToken);
}
