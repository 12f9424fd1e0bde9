"""The panel's URLs. Every route goes through ``staff`` or ``admin`` below, so every view is wrapped by
``offices.panel.access`` (``tests/offices/test_panel_access.py`` checks that none escapes)."""

from django.urls import path

from offices.panel import (
    batches,
    board,
    companies,
    eventlog,
    export,
    health,
    messages,
    privacy,
    rules,
    statements,
    upload,
    views,
    zus_accounts,
)
from offices.panel.access import admin_required, staff_required

app_name = "panel"


def staff(route: str, view, name: str):
    return path(route, staff_required(view), name=name)


def admin(route: str, view, name: str):
    return path(route, admin_required(view), name=name)


urlpatterns = [
    staff("", views.home, "home"),
    admin("agents/", views.agents, "agents"),
    admin("agents/<int:agent_id>/token/", views.agent_created, "agent_created"),
    admin("agents/<int:agent_id>/revoke/", views.agent_revoke, "agent_revoke"),
    admin("staff/", views.staff, "staff"),
    admin("staff/<int:user_id>/role/", views.staff_role, "staff_role"),
    admin("staff/<int:user_id>/deactivate/", views.staff_deactivate, "staff_deactivate"),
    admin("staff/<int:user_id>/reactivate/", views.staff_reactivate, "staff_reactivate"),
    admin("staff/<int:user_id>/resend/", views.staff_resend, "staff_resend"),
    admin("settings/", views.office_settings, "settings"),
    admin("settings/test-email/", views.office_settings_test_email, "settings_test_email"),
    # --- Review and approval (offices/panel/companies.py and friends) ---
    staff("companies/", companies.companies, "companies"),
    staff("companies/approve/", companies.companies_approve, "companies_approve"),
    staff("companies/<int:company_id>/", companies.company, "company"),
    staff("companies/<int:company_id>/approve/", companies.company_approve, "company_approve"),
    staff("companies/<int:company_id>/manual/", companies.company_manual, "company_manual"),
    staff("companies/<int:company_id>/figures/<int:figure_id>/release/", companies.company_release,
          "company_release"),
    staff("companies/<int:company_id>/sources/", companies.company_sources, "company_sources"),
    staff("companies/<int:company_id>/enabled/", companies.company_enabled, "company_enabled"),
    admin("companies/<int:company_id>/assign/", companies.company_assign, "company_assign"),
    staff("companies/<int:company_id>/basic/", companies.company_basic, "company_basic"),
    staff("companies/<int:company_id>/zus-account/", zus_accounts.company_zus_account, "company_zus_account"),
    staff("companies/<int:company_id>/settle/", zus_accounts.company_settle, "company_settle"),
    staff("companies/<int:company_id>/settle-item/", zus_accounts.company_settle_item, "company_settle_item"),
    staff("companies/<int:company_id>/go-live/", zus_accounts.company_go_live, "company_go_live"),
    staff("companies/<int:company_id>/conflicts/<int:conflict_id>/", companies.company_conflict,
          "company_conflict"),
    # --- The office's month board (offices/panel/board.py) ---
    staff("board/", board.board, "board"),
    staff("board/action/", board.board_action, "board_action"),
    staff("board/export/", board.board_export, "board_export"),
    # --- Messaging: delivery log, undo, nudge, invitations, bulk summaries (offices/panel/messages.py) ---
    staff("companies/<int:company_id>/messages/", messages.company_messages, "company_messages"),
    staff("companies/<int:company_id>/messages/cancel/", messages.company_messages_cancel,
          "company_messages_cancel"),
    staff("companies/<int:company_id>/messages/<int:message_id>/resend/", messages.company_message_resend,
          "company_message_resend"),
    staff("companies/<int:company_id>/messages/nudge/", messages.company_messages_nudge, "company_messages_nudge"),
    staff("companies/<int:company_id>/people/<int:person_id>/invite/", messages.company_person_invite,
          "company_person_invite"),
    staff("messages/send/", messages.send_page, "messages_send"),
    admin("messages/settings/", messages.messaging_settings, "messages_settings"),
    admin("messages/settings/resume-sms/", messages.messaging_resume_sms, "messages_resume_sms"),
    admin("approval-rules/", rules.approval_rules, "approval_rules"),
    staff("events/", eventlog.events, "events"),
    staff("events/batches/<str:public_id>/", batches.batch, "batch"),
    admin("events/error-reports/<int:report_id>/", eventlog.error_report, "error_report"),
    staff("health/", health.sync_health, "health"),
    staff("export/", export.export_page, "export"),
    staff("export/download/", export.export_download, "export_download"),
    # --- Exchange files (offices/panel/upload.py) ---
    staff("upload/", upload.upload, "upload"),
    staff("upload/<str:key>/apply/", upload.upload_apply, "upload_apply"),
    # --- RODO: a person's data, export and erasure; the office's privacy page (offices/panel/privacy.py) ---
    staff("companies/<int:company_id>/people/<int:person_id>/privacy/", privacy.person_page, "person_privacy"),
    staff("companies/<int:company_id>/people/<int:person_id>/privacy/export.json", privacy.person_export_json,
          "person_export_json"),
    staff("companies/<int:company_id>/people/<int:person_id>/privacy/export.pdf", privacy.person_export_pdf,
          "person_export_pdf"),
    admin("companies/<int:company_id>/people/<int:person_id>/privacy/erase/", privacy.person_erase, "person_erase"),
    admin("privacy/", privacy.privacy_page, "privacy"),
    # --- Bank statements and unmatched settlements (offices/panel/statements.py) ---
    staff("upload/statement/", statements.statement_upload, "statement_upload"),
    staff("upload/statement/demo.sta", statements.demo_statement, "demo_statement"),
    staff("settlements/unmatched/", statements.unmatched, "unmatched"),
    staff("settlements/unmatched/recheck/", statements.unmatched_recheck, "unmatched_recheck"),
]
