using Spectre.Console.Cli;

namespace Tessera.Cli.Infrastructure;

/// <summary>
/// The smallest registrar Spectre.Console.Cli needs: it hands every command the <see cref="CliEnvironment"/>,
/// and leaves other types (settings) to Spectre's own activation.
/// </summary>
internal sealed class TypeRegistrar(CliEnvironment environment) : ITypeRegistrar, ITypeResolver
{
    private readonly Dictionary<Type, Func<object>> _factories = [];

    public void Register(Type service, Type implementation) => _factories[service] = () => Create(implementation) ?? throw new InvalidOperationException($"Cannot create {implementation}.");

    public void RegisterInstance(Type service, object implementation) => _factories[service] = () => implementation;

    public void RegisterLazy(Type service, Func<object> factory) => _factories[service] = factory;

    public ITypeResolver Build() => this;

    public object? Resolve(Type? type)
    {
        if (type is null)
        {
            return null;
        }

        return _factories.TryGetValue(type, out var factory) ? factory() : Create(type);
    }

    private object? Create(Type type)
    {
        if (type.GetConstructor([typeof(CliEnvironment)]) is { } withEnvironment)
        {
            return withEnvironment.Invoke([environment]);
        }

        return type.GetConstructor(Type.EmptyTypes) is { } empty ? empty.Invoke(null) : null;
    }
}
