"""URL patterns: organisations, team members and invitations, API keys, voice owners (under /vm/)."""
from django.urls import path

from voicemanager.accounts.views import orgs, team
from voicemanager.consent.views import owner_consent

urlpatterns = [
    path("team/", orgs.org_list, name="org_list"),
    path("team/invite/", team.invite, name="team_invite"),
    path("orgs/<str:org_id>/", orgs.org_detail, name="org_detail"),
    path("orgs/<str:org_id>/api-keys/", orgs.api_key_create, name="api_key_create"),
    path("orgs/<str:org_id>/members/<int:pk>/role/", team.member_role, name="team_member_role"),
    path("orgs/<str:org_id>/members/<int:pk>/remove/", team.member_remove, name="team_member_remove"),
    path("orgs/<str:org_id>/invitations/<int:pk>/resend/", team.invitation_resend, name="team_invitation_resend"),
    path("orgs/<str:org_id>/invitations/<int:pk>/revoke/", team.invitation_revoke, name="team_invitation_revoke"),
    path("voice-owners/", owner_consent.voice_owners, name="voice_owners"),
    path("voice-owners/<str:speaker_id>/", owner_consent.voice_owner_detail, name="voice_owner_detail"),
    path("voice-owners/<str:speaker_id>/resend/", owner_consent.voice_owner_resend, name="voice_owner_resend"),
    path("voice-owners/<str:speaker_id>/consent/<int:pk>/audio/", owner_consent.voice_owner_audio,
         name="voice_owner_audio"),
]
