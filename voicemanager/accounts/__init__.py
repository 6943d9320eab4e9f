"""Users, organisations, memberships, the team and API keys.

models.py   User (email login), Organisation (admin_emails()), Membership (admin / member), ApiKey
team.py     invite a team member, accept (/join/<token>/), change a role, remove a member
forms.py    the account part of every sign-up behind a link
views/      orgs (organisation page, API keys) and team (invite, roles, join)
"""
