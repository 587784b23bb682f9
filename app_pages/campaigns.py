"""走访采集: campaigns, their progress per community and grid, the paper round trip, close and export."""

from yibiaotong.ui import campaign_view
from yibiaotong.ui.shell import page_header, require_role

scope = require_role("district_admin", "street_leader", "social_worker")
page_header("campaigns")

if scope.role != "social_worker":
    campaign_view.create_form(scope)
if campaign := campaign_view.pick(scope):
    campaign_view.progress_panel(scope, campaign)
    campaign_view.manage(scope, campaign)
    campaign_view.paper(scope, campaign)
