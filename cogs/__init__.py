"""One cog per feature: parse the interaction, call one service, render with a pure function."""
