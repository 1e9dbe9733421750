import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SignInDto } from './dto/sign-in.dto';
import { SignUpDto } from './dto/sign-up.dto';
import { UserDto } from './dto/user.dto';
import { CurrentSession, SessionGuard } from './session.guard';
import { SessionPrincipal, SessionsService } from './sessions.service';
import { UsersService } from './users.service';

/** Accounts and browser sessions, as JSON (the web pages call the same services). */
@Controller('api/v1')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
  ) {}

  /** Sign up: creates the account and signs it in. */
  @Post('users')
  async signUp(
    @Body() dto: SignUpDto,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ data: UserDto }> {
    const user = await this.users.signUp({ email: dto.email, password: dto.password, name: dto.name }, req.ip);
    reply.header('set-cookie', await this.sessions.start(user.id, req.headers['user-agent']));
    reply.status(201);
    return { data: user };
  }

  @Post('sessions')
  @HttpCode(200)
  async signIn(
    @Body() dto: SignInDto,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ data: UserDto }> {
    const user = await this.users.verifyPassword(dto.email, dto.password, req.ip);
    reply.header('set-cookie', await this.sessions.start(user.id, req.headers['user-agent']));
    return { data: user };
  }

  @Delete('sessions/current')
  @HttpCode(204)
  async signOut(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    reply.header('set-cookie', await this.sessions.end(req.headers.cookie));
  }

  @Get('users/me')
  @UseGuards(SessionGuard)
  async me(@CurrentSession() session: SessionPrincipal): Promise<{ data: UserDto }> {
    return { data: await this.users.get(session.userId) };
  }
}
