#include "util/json_error.h"

#include <nlohmann/json.hpp>

#include "util/i18n.h"

namespace xlnv {

std::string describeJsonError(const nlohmann::json::exception &e)
{
    if (dynamic_cast<const nlohmann::json::parse_error *>(&e))
        return _("it is not valid JSON");
    if (dynamic_cast<const nlohmann::json::out_of_range *>(&e))
        return _("a required entry is missing");
    if (dynamic_cast<const nlohmann::json::type_error *>(&e))
        return _("an entry has the wrong type");
    return _("its content is not what this version writes");
}

} // namespace xlnv
