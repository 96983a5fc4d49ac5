"""Accounts: people, schools, hubs, Work Groups, memberships, invitations and login."""
