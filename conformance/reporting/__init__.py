"""Reports: summary.json, summary.md, the terminal verdict, Allure labels."""
