"""The accounts API: tokens, the signed-in user, teams and invitations."""
