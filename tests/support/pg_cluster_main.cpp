// spotik_pg_cluster: starts or stops the PostgreSQL cluster a ctest run shares (the pg_cluster
// fixture). `start <state-file>` first removes a cluster left by an interrupted run, then
// starts one through pg_ctl and writes how to reach it; `stop <state-file>` stops and deletes
// it. Exits 1 with the reason when the cluster cannot start.
#include "support/postgres_server.hpp"

#include <exception>
#include <iostream>
#include <string_view>

int main(int argc, char** argv)
{
    const std::string_view command = argc == 3 ? argv[1] : "";
    if (command != "start" && command != "stop") {
        std::cerr << "usage: spotik_pg_cluster start|stop <state-file>\n";
        return 2;
    }
    try {
        spotik::test::postgres_server::stop_detached(argv[2]);
        if (command == "stop") return 0;
        spotik::test::postgres_server cluster(spotik::test::postgres_server::mode::daemon);
        cluster.detach_to(argv[2]);
        std::cout << "PostgreSQL test cluster on 127.0.0.1:" << cluster.endpoint().port << " (pid "
                  << cluster.endpoint().pid << ")\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "spotik_pg_cluster: " << e.what() << "\n";
        return 1;
    }
}
