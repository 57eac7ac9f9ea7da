// include/frontproxy.h on its own, as C++17 (-std=c++17 -Wall -Wextra -Werror -pedantic): the
// declarations get C linkage and the enums are usable as types.
#include "frontproxy.h"

int frontproxy_header_is_self_contained_cxx(void);
int frontproxy_header_is_self_contained_cxx(void) {
  frontproxy_header h{};
  frontproxy_bytes b{};
  frontproxy_result r = FRONTPROXY_RESULT_OK;
  frontproxy_outcome o = FRONTPROXY_OUTCOME_REJECTED;
  frontproxy_result (*fn)(uint32_t, char *, size_t, size_t *) = frontproxy_result_message;
  return static_cast<int>(h.name_len + b.len + static_cast<uint32_t>(r) + static_cast<uint32_t>(o)) +
         (fn != nullptr ? 1 : 0);
}
