"""Synchronisation health: per agent and program the last successful sync and the last error, per company
when its data last arrived; agents silent before the payment deadlines."""

from django.db.models import F
from django.shortcuts import render
from django.views.decorators.http import require_GET

from clients.models import Company
from clients.names import program_name
from offices.panel.companies import reviewable_companies
from sync import health
from sync.models import Agent

STALE_COMPANIES = 50


@require_GET
def sync_health(request):
    agents = {agent.pk: agent for agent in Agent.objects.all()}
    rows = [(agents.get(row.agent_id), program_name(row.program), row) for row in health.program_health()]
    companies = (reviewable_companies(request.user).filter(enabled=True)
                 .order_by(F("last_synced_at").asc(nulls_first=True), "name")[:STALE_COMPANIES])
    context = {
        "agents": list(agents.values()),
        "rows": rows,
        "companies": list(companies),
        "silent": health.silent_agents(only_near_deadline=False),
        "silence_hours": int(health.SILENCE.total_seconds() // 3600),
        "disabled_count": Company.objects.filter(enabled=False).count(),
    }
    return render(request, "offices/panel/health/health.html", context)
