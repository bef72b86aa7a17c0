# A TCP proxy that stands in for the network between cavra and PostgreSQL: killing it is an outage, starting it
# again on the same port is the database coming back. Prints `proxy listening on http://127.0.0.1:PORT/`.
#
#   python3 Tests/postgres/proxy.py LISTEN_PORT DATABASE_HOST DATABASE_PORT     (LISTEN_PORT 0: any free port)
import asyncio, sys

listen_port, host, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])

async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except Exception:
        pass
    finally:
        writer.close()

async def handle(client_reader, client_writer):
    try:
        server_reader, server_writer = await asyncio.open_connection(host, port)
    except Exception:
        client_writer.close()
        return
    await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", listen_port, reuse_address=True)
    print(f"proxy listening on http://127.0.0.1:{server.sockets[0].getsockname()[1]}/", flush=True)
    await server.serve_forever()

asyncio.run(main())
