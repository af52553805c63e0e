"""One table of cases for the percent shown beside a status, checked against the Python rule
(app/charts/formats.py, tests/test_i18n.py) and the JavaScript one (frontend/i18n.js, in chromium:
tests/browser/test_i18n_browser.py). Each is worked out by hand from the rule: no decimals unless
rounding lands on or crosses a threshold the value is not on the far side of; then one decimal,
rounded, or truncated toward the value's own side where rounding still crosses; a second only when
thresholds lie closer than 0.1 %. en as Intl's en-GB writes it, nb as nb-NO (no-break spaces, U+2212).
"""

NB = "\u00a0"
DEFAULT = (0.9, 1.0)  # amber, green

# (attainment, (amber, green), en, nb, the working)
PERCENT_CASES: list[tuple[float, tuple[float, float], str, str, str]] = [
    (0.995, DEFAULT, "99.5%", f"99,5{NB}%", "99.5 rounds to 100 = green, not reached: one decimal, 99.5 (amber)"),
    (0.9996, DEFAULT, "99.9%", f"99,9{NB}%", "99.96 rounds to 100, and to 100.0: truncated to 99.9"),
    (1.0, DEFAULT, "100%", f"100{NB}%", "exactly green: 100"),
    (0.8996, DEFAULT, "89.9%", f"89,9{NB}%", "89.96 rounds to 90 = amber, not reached; 90.0 too: 89.9 (red)"),
    (1.234, DEFAULT, "123%", f"123{NB}%", "123.4 rounds to 123, above every threshold"),
    (0.9, DEFAULT, "90%", f"90{NB}%", "exactly amber: 90"),
    (0.949, DEFAULT, "95%", f"95{NB}%", "94.9 rounds to 95, between 90 and 100"),
    (0.8949, DEFAULT, "89%", f"89{NB}%", "89.49 rounds to 89, below 90"),
    (0.99949999, DEFAULT, "99.9%", f"99,9{NB}%", "99.949999 rounds to 100, to one decimal 99.9"),
    (0.8999999999999, DEFAULT, "89.9%", f"89,9{NB}%",
     "a hair below amber (status red): 12 digits make it 90, which is amber's: 89.9"),
    (0.9000000000001, DEFAULT, "90%", f"90{NB}%", "a hair above amber (status amber): 90"),
    # a KPI with its own thresholds: amber 85 %, green 95 %
    (0.9496, (0.85, 0.95), "94.9%", f"94,9{NB}%", "94.96 rounds to 95 = this KPI's green: 94.9"),
    (0.8496, (0.85, 0.95), "84.9%", f"84,9{NB}%", "84.96 rounds to 85 = this KPI's amber: 84.9"),
    (0.995, (0.85, 0.95), "100%", f"100{NB}%", "green from 95: 99.5 is green, and 100 says so"),
    # thresholds with decimals of a percent
    (0.9534, (0.953, 1.0), "95.3%", f"95,3{NB}%", "95.34 reached 95.3 but rounds to 95, below it: 95.3"),
    (0.9526, (0.953, 1.0), "95%", f"95{NB}%", "95.26 has not reached 95.3, and 95 stays below it"),
    (0.99995, (0.9999, 1.0), "99.99%", f"99,99{NB}%",
     "99.995 between 99.99 and 100: 100 and 100.0 cross green, 99.9 falls below amber: 99.99"),
    # spelling: thousands, minus, zero
    (12.5, DEFAULT, "1,250%", f"1{NB}250{NB}%", "1250, grouped"),
    (-0.05, DEFAULT, "-5%", f"\u22125{NB}%", "a negative attainment (credit notes)"),
    (0.0, DEFAULT, "0%", f"0{NB}%", "nothing sold"),
]
