using System.Collections.Immutable;
using System.IO;
using System.Linq;
using EventStream.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace EventStream.Generators;

/// <summary>
/// Generates typed events from tracking plans: for each class carrying <c>[TrackingPlan("path")]</c>, reads the named
/// <c>AdditionalFiles</c> plan and emits event classes and a <c>Catalog</c> nested in that class.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class TrackingPlanGenerator : IIncrementalGenerator
{
    internal const string AttributeName = "EventStream.Typed.TrackingPlanAttribute";

    /// <summary>Tracking names of the pipeline's steps, for incrementality tests.</summary>
    internal static class Steps
    {
        public const string Targets = nameof(Targets);
        public const string PlanFiles = nameof(PlanFiles);
        public const string Results = nameof(Results);
        public const string Models = nameof(Models);
    }

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<PlanTarget> targets = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                AttributeName,
                static (node, _) => node is ClassDeclarationSyntax,
                static (ctx, _) => ReadTarget(ctx))
            .WithTrackingName(Steps.Targets);

        IncrementalValueProvider<ImmutableArray<PlanFile>> files = context.AdditionalTextsProvider
            .Where(static file => PlanParser.IsPlanFile(file.Path))
            .Select(static (file, ct) => new PlanFile(file.Path, file.GetText(ct)?.ToString() ?? string.Empty))
            .WithTrackingName(Steps.PlanFiles)
            .Collect();

        IncrementalValueProvider<string?> projectDirectory = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => options.GlobalOptions.TryGetValue("build_property.projectdir", out string? dir) ? dir : null);

        IncrementalValuesProvider<PlanResult> results = targets
            .Combine(files.Combine(projectDirectory))
            .Select(static (input, ct) => PlanParser.Parse(input.Left, input.Right.Left, input.Right.Right, ct))
            .WithTrackingName(Steps.Results);

        // Diagnostics and code are separate outputs, so a change that only moves a diagnostic does not regenerate code.
        context.RegisterSourceOutput(results.Select(static (r, _) => r.Diagnostics), static (spc, diagnostics) =>
        {
            foreach (DiagnosticInfo diagnostic in diagnostics)
            {
                spc.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });

        IncrementalValuesProvider<PlanModel> models = results
            .Where(static r => r.Model is not null)
            .Select(static (r, _) => r.Model!)
            .WithTrackingName(Steps.Models);
        context.RegisterSourceOutput(models, static (spc, model) =>
            spc.AddSource(PlanEmitter.HintName(model.Target), PlanEmitter.Emit(model)));
    }

    private static PlanTarget ReadTarget(GeneratorAttributeSyntaxContext context)
    {
        var symbol = (INamedTypeSymbol)context.TargetSymbol;
        var syntax = (ClassDeclarationSyntax)context.TargetNode;
        AttributeData attribute = context.Attributes[0];
        string path = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string p ? p : string.Empty;
        int format = attribute.NamedArguments.FirstOrDefault(a => a.Key == "Format").Value.Value is int f ? f : 0;
        LocationInfo? attributeLocation = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax().GetLocation());
        LocationInfo? classLocation = LocationInfo.From(syntax.Identifier.GetLocation());

        bool isPartial = symbol.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is ClassDeclarationSyntax c && c.Modifiers.Any(SyntaxKind.PartialKeyword));
        DiagnosticInfo? problem = null;
        if (!isPartial)
        {
            problem = new DiagnosticInfo(PlanDiagnostics.NotPartial, classLocation, new[] { symbol.Name }.ToEquatableArray());
        }
        else if (!symbol.IsStatic)
        {
            problem = new DiagnosticInfo(PlanDiagnostics.NotStatic, classLocation, new[] { symbol.Name }.ToEquatableArray());
        }
        else
        {
            for (INamedTypeSymbol? outer = symbol.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                bool outerPartial = outer.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is TypeDeclarationSyntax t && t.Modifiers.Any(SyntaxKind.PartialKeyword));
                if (!outerPartial)
                {
                    problem = new DiagnosticInfo(PlanDiagnostics.NotPartial, classLocation, new[] { outer.Name }.ToEquatableArray());
                    break;
                }
            }
        }

        var containing = symbol.ContainingType is null
            ? EquatableArray<string>.Empty
            : Enumerable.Reverse(Outers(symbol)).Select(Declaration).ToEquatableArray();
        string ns = symbol.ContainingNamespace.IsGlobalNamespace ? string.Empty : symbol.ContainingNamespace.ToDisplayString();
        string sourceDirectory = Path.GetDirectoryName(syntax.SyntaxTree.FilePath) ?? string.Empty;
        return new PlanTarget(ns, containing, symbol.Name, path, sourceDirectory, attributeLocation, format, problem);
    }

    private static System.Collections.Generic.IEnumerable<INamedTypeSymbol> Outers(INamedTypeSymbol symbol)
    {
        for (INamedTypeSymbol? outer = symbol.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            yield return outer;
        }
    }

    private static string Declaration(INamedTypeSymbol type)
    {
        string keyword = type.IsRecord
            ? (type.TypeKind == TypeKind.Struct ? "record struct" : "record")
            : type.TypeKind switch
            {
                TypeKind.Struct => "struct",
                TypeKind.Interface => "interface",
                _ => "class",
            };
        string modifiers = type.IsStatic ? "static partial" : "partial";
        string typeParameters = type.TypeParameters.Length == 0 ? string.Empty : "<" + string.Join(", ", type.TypeParameters.Select(t => t.Name)) + ">";
        return $"{modifiers} {keyword} {type.Name}{typeParameters}";
    }
}
