/* include/frontproxy.h on its own, as C11 (-std=c11 -Wall -Wextra -Werror -pedantic): it must
 * bring every include it needs and declare everything it uses. */
#include "frontproxy.h"

int frontproxy_header_is_self_contained(void);
int frontproxy_header_is_self_contained(void) {
  frontproxy_header h = {0, 0, 0, 0};
  frontproxy_bytes b = {0, 0};
  frontproxy_result r = FRONTPROXY_RESULT_OK;
  frontproxy_outcome o = FRONTPROXY_OUTCOME_REJECTED;
  return (int)(h.name_len + b.len + r + o + FRONTPROXY_REASON_CHAIN_TOO_LONG);
}
