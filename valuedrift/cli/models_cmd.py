"""``valuedrift models list|pull``: the base-model registry."""

from __future__ import annotations

import typer

from valuedrift.cli.app import console


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Base models: list aliases, materialise them offline.", no_args_is_help=True)

    @group.command("list")
    def list_() -> None:
        """List model aliases, where they come from, and whether they are cached."""
        from rich.table import Table

        from valuedrift.models import aliases

        table = Table("alias", "cached", "source", "description")
        for name, alias in sorted(aliases().items()):
            table.add_row(name, "yes" if alias.is_cached() else "no", alias.source, alias.description)
        Console = type(console)
        Console().print(table)

    @group.command("pull")
    def pull(
        name: str = typer.Argument(..., help="Alias to materialise, e.g. smollm2-135m-instruct."),
        force: bool = typer.Option(False, "--force", help="Rebuild even if cached."),
    ) -> None:
        """Materialise an alias into the local cache (once); later loads take under a second."""
        import time

        from valuedrift.models import pull as do_pull

        t = time.perf_counter()
        with console.status(f"materialising {name}"):
            folder = do_pull(name, force=force)
        console.print(f"[green]ok[/]: {name} -> {folder} ({time.perf_counter() - t:.1f} s)", highlight=False)
        typer.echo(str(folder))

    app.add_typer(group, name="models")
