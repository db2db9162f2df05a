using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Tessera.Identity.Tests;

/// <summary>The template's <c>ApplicationDbContext</c>.</summary>
/// <param name="options">The options.</param>
public sealed class AppDbContext(DbContextOptions<AppDbContext> options) : IdentityDbContext(options);
