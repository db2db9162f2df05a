using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Tessera.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
