[assembly: AssemblyFixture(typeof(Tessera.Tests.Browser.BrowserFixture))]
