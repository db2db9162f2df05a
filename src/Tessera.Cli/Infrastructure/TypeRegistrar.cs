using Spectre.Console.Cli;

namespace Tessera.Cli.Infrastructure;

/// <summary>
/// The smallest registrar Spectre.Console.Cli needs: it hands every command the <see cref="CliEnvironment"/>,
/// answers <c>IEnumerable&lt;T&gt;</c> with every registration of <c>T</c> (Spectre asks for its help
/// providers that way), and leaves other types (settings) to Spectre's own activation.
/// </summary>
internal sealed class TypeRegistrar(CliEnvironment environment) : ITypeRegistrar, ITypeResolver
{
    private readonly Dictionary<Type, List<Func<object>>> _factories = [];

    public void Register(Type service, Type implementation) => Add(service, () => Create(implementation) ?? throw new InvalidOperationException($"Cannot create {implementation}."));

    public void RegisterInstance(Type service, object implementation) => Add(service, () => implementation);

    public void RegisterLazy(Type service, Func<object> factory) => Add(service, factory);

    public ITypeResolver Build() => this;

    public object? Resolve(Type? type)
    {
        if (type is null)
        {
            return null;
        }

        if (_factories.TryGetValue(type, out var factories))
        {
            return factories[^1]();
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>))
        {
            var element = type.GetGenericArguments()[0];
            var registered = _factories.TryGetValue(element, out var all) ? all : [];
            var array = Array.CreateInstance(element, registered.Count);
            for (var i = 0; i < registered.Count; i++)
            {
                array.SetValue(registered[i](), i);
            }

            return array;
        }

        return Create(type);
    }

    private void Add(Type service, Func<object> factory)
    {
        if (!_factories.TryGetValue(service, out var list))
        {
            _factories[service] = list = [];
        }

        list.Add(factory);
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
