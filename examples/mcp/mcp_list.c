/*
 * mcp_list.c — tools/list answers show only the tools the task could use.
 *
 * A tool T is hidden when no request of the task with action T (or
 * SERVER.T) could be decided allow or ask, whatever its resource and
 * arguments: ep_may_grant() answers that on the compiled policy's automata
 * (runtime/enforce/ep_visible.c explains why it never hides a tool that
 * could be granted).  It depends only on the policy in force, so the
 * answer changes only with a reload, after which the proxy tells the
 * client notifications/tools/list_changed (mcp_loop.c).  This is a
 * convenience for the agent; every call is still decided on its own.
 * If the policy cannot be pinned, every tool is hidden (every call would
 * be denied); a query that fails keeps the tool (never hide wrongly).
 */
#include "mcp.h"

#include <string.h>

void mcp_list_filter(mcp_ctx *m, json_t *result)
{
	json_t *tools = json_object_get(result, "tools");
	if (!json_is_array(tools))
		return;
	ep_pin pin;
	if (ep_slot_pin(&m->enforced, &pin) < 0) {
		json_array_clear(tools);
		return;
	}
	for (size_t i = json_array_size(tools); i-- > 0;) {
		json_t *name = json_object_get(json_array_get(tools, i), "name");
		char action[2048];
		bool visible = true;
		if (json_is_string(name) &&
		    mcp_action(m, json_string_value(name), json_string_length(name), action, sizeof action) &&
		    ep_may_grant(pin.p, m->cfg.task, strlen(m->cfg.task), action, strlen(action), &visible) == 0 &&
		    !visible)
			json_array_remove(tools, i);
	}
	ep_slot_unpin(&m->enforced, &pin);
}
