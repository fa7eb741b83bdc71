"""Apply-time contracts: checks of the planned graph against how AWS behaves at apply and run time."""
