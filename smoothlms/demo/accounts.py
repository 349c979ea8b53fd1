"""The demo's sign-ins (README lists them). Plain data: `make run` prints it before Django starts."""

DOMAIN = "example.com"
LOGINS = [
    # (email, password, roles, name)
    (f"admin@{DOMAIN}", "admin-demo-1", ["System Manager"], "Sam Admin"),
    (f"moderator@{DOMAIN}", "moderator-demo-1", ["Moderator", "LMS Student"], "Mina Moderator"),
    (f"hr@{DOMAIN}", "hr-demo-1", ["HR Manager"], "Hana HR"),
    (f"asha@{DOMAIN}", "learner-demo-1", ["LMS Student"], "Asha Rao"),
    (f"ben@{DOMAIN}", "learner-demo-1", ["LMS Student"], "Ben Okafor"),
]
