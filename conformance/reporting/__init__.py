"""Reports: summary.json and summary.md, the terminal verdict, the HTML certificate, what the Allure
results say of each test (labels, steps, run files), and the Allure HTML report."""
